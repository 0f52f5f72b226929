// virtctl's verbs as a real process against a real agent (libvirt test
// driver, test/fixtures/test-node.xml) and a real controller feeding it:
// tables for people, -o json for scripts, the exit code = the gRPC status.
// The progress renderer on a terminal is in test/unit/virtctl-progress.test.ts
// and, in-process against the agent, below.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ServiceClient } from '../../src/cli/virtctl/rpc';
import * as verbs from '../../src/cli/virtctl/verbs';
import { REPO_ROOT, startTestAgent, type TestAgent } from '../helpers/agent-client';
import { startTestController, type TestController } from './controller-helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'virtctl.js');

let ta: TestAgent;
let tc: TestController;
let env: NodeJS.ProcessEnv;

function virtctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  ta = await startTestAgent();
  tc = await startTestController({ 'host-1': ta.target });
  env = { ...process.env, VIRTCTL_AGENT_ADDRESS: ta.target, VIRTCTL_CONTROLLER_ADDRESS: `127.0.0.1:${tc.handle.listen.port}` };
});
afterAll(async () => {
  await tc?.stop();
  await ta?.close();
});

const xml = (name: string) => `<domain type="test"><name>${name}</name><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

describe('virtctl verbs', () => {
  it('domains: a table, or the response as JSON', async () => {
    const t = await virtctl(['domains']);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+UUID\s+STATE\s+PERSISTENT\s+MANAGED SAVE\s+DISKS$/);
    expect(lines).toContainEqual(expect.stringMatching(/^db-1\s+22222222-2222-4222-8222-222222222222\s+SHUTOFF\s+yes\s+no\s+vda$/));
    const j = await virtctl(['domains', '-o', 'json']);
    expect((JSON.parse(j.stdout) as { domains: Array<{ name: string }> }).domains.map((d) => d.name)).toContain('web-1');
  });

  it('stop: the agent\'s account of the shutdown; again: nothing to do; -o json is PowerOffResponse', async () => {
    const r = await virtctl(['stop', 'web-1', '--timeout', '30']);
    expect(r).toMatchObject({ code: 0, stderr: '' }); // piped: no progress
    expect(r.stdout).toMatch(/^web-1: shutdown requested → stopped in \d+\.\d s\n$/);
    const again = await virtctl(['stop', 'web-1', '--timeout', '30']);
    expect(again.stdout).toBe('web-1: already SHUTOFF, nothing to do\n');
    const j = await virtctl(['stop', '11111111-1111-4111-8111-111111111111', '-o', 'json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ clean: true, shutdown_requests: 0, power_state: 'POWER_STATE_SHUTOFF' });
  });

  it('stop refuses a bad --timeout (INVALID_ARGUMENT, exit 3) and a domain libvirt does not know (NOT_FOUND, exit 5)', async () => {
    const bad = await virtctl(['stop', 'web-1', '--timeout', 'soon']);
    expect(bad).toMatchObject({ code: 3, stderr: 'INVALID_ARGUMENT: --timeout must be a whole number of seconds, not "soon"\n' });
    const gone = await virtctl(['stop', 'nope']);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toMatch(/^NOT_FOUND: domain 'nope' not found/);
  });

  it('detach: the disk is read from the domain; the test driver refuses (FAILED_PRECONDITION, exit 9); --ignore-errors: warnings; no such disk: exit 5', async () => {
    const refused = await virtctl(['detach', 'web-1', 'vdb']);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toMatch(/^FAILED_PRECONDITION: .*vdb.*NO_SUPPORT/);
    const ignored = await virtctl(['detach', 'web-1', 'vdb', '--ignore-errors']);
    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toMatch(/^web-1: vdb NOT detached from the guest, host side disconnected\nSTEP\s+OUTCOME\s+MS\s+DETAIL\ndetach\s+warning/);
    expect(ignored.stdout).toMatch(/^warning: detach: .*NO_SUPPORT/m);
    const none = await virtctl(['detach', 'web-1', 'vdz']);
    expect(none).toMatchObject({ code: 5, stderr: 'NOT_FOUND: web-1 has no disk vdz (disks: vda, vdb)\n' });
    const badInfo = await virtctl(['detach', 'web-1', 'vdb', '--connection-info', '{nope']);
    expect(badInfo.code).toBe(3);
  });

  it('destroy --disks: what was removed, step by step; -o json is DestroyResponse; again: found false', async () => {
    const r = await virtctl(['destroy', 'db-1', '--disks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^db-1: was not running, undefined\n/);
    expect(r.stdout).toMatch(/^remove-disk vda\s+ok\s+\d+\s+.*22222222-2222-4222-8222-222222222222\/disk$/m);
    expect(fs.existsSync(ta.node.diskFiles['db-1']![0]!)).toBe(false);
    const j = await virtctl(['destroy', 'db-1', '-o', 'json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ found: false, undefined: false });
  });

  it('instances list|delete|restore|force-delete by name or uuid, and hosts', async () => {
    const created = await tc.client.call('CreateInstance', { name: 'vt-1', project_id: 'p1', host: 'host-1', vcpus: 1, memory_mib: 256, domain_xml: xml('vt-1') });
    const list = await virtctl(['instances', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${String(created.uuid)}\\s+vt-1\\s+p1\\s+host-1\\s+ACTIVE\\s+NONE\\s+RUNNING\\s+1\\s+256$`, 'm'));
    const listed = JSON.parse((await virtctl(['instances', 'list', '--project', 'p1', '-o', 'json'])).stdout) as { instances: Array<{ uuid: string }> };
    expect(listed.instances.map((i) => i.uuid)).toEqual([created.uuid]);
    expect(JSON.parse((await virtctl(['instances', 'list', '--project', 'other', '-o', 'json'])).stdout)).toEqual({ instances: [] });

    const hosts = await virtctl(['hosts']);
    expect(hosts.stdout).toMatch(/^HOST\s+STATE\s+INSTANCES\s+DISABLED\s+LAST HEARTBEAT\s+ADDRESS\nhost-1\s+UP\s+1\s+no\s+static\s+127\.0\.0\.1:\d+\n/);

    // No reclaim interval here: a delete is final at once, so restore has nothing to restore.
    const del = await virtctl(['instances', 'delete', 'vt-1', '-o', 'json']);
    expect(JSON.parse(del.stdout)).toMatchObject({ uuid: created.uuid, vm_state: 'VM_STATE_DELETED' });
    const restore = await virtctl(['instances', 'restore', String(created.uuid)]);
    expect(restore.code).toBe(9); // FAILED_PRECONDITION: not soft deleted
    expect(restore.stderr).toMatch(/^FAILED_PRECONDITION: /);
    expect((await virtctl(['instances', 'force-delete', 'vt-1'])).stderr).toBe('NOT_FOUND: no instance named vt-1\n');
    expect((await virtctl(['instances', 'force-delete', String(created.uuid), '--force'])).code).toBe(0);
  });

  it('unreachable service: UNAVAILABLE, exit 14; usage errors exit 2', async () => {
    const r = await virtctl(['--address', 'unix:///nonexistent/virt-agent.sock', '--timeout', '3', 'domains']);
    expect(r.code).toBe(14);
    expect(r.stderr).toMatch(/^UNAVAILABLE: /);
    expect((await virtctl(['stop'])).code).toBe(2);
    expect((await virtctl(['instances', 'frobnicate'])).code).toBe(2);
  });

  it('on a terminal: a live line and the domain\'s events while it runs, cleared before the result', async () => {
    const writes: string[] = [];
    const out: string[] = [];
    const agent = new ServiceClient('agent', { address: ta.target, timeout: '30' });
    try {
      await verbs.stop(agent, {
        out: { write: (s: string) => out.push(s) },
        progress: { write: (s: string) => writes.push(s), columns: 100 },
        json: false, now: () => performance.now(),
      } as unknown as verbs.Io, 'paused-1', { timeout: '20', retry: '5' });
    } finally {
      agent.close();
    }
    const shown = writes.join('');
    const ERASE = '\r\x1b[2K';
    const pieces = shown.split(ERASE);
    expect(pieces).toContainEqual(expect.stringMatching(/^paused-1: shutdown requested, re-sent 0\/3, \d+\.\d s of 20 s$/));
    // The stream was subscribed before the PowerOff: its STOPPED event is shown.
    expect(shown).toMatch(/ {2}\+\d+\.\d s {2}STOPPED \(STOPPED_(SHUTDOWN|DESTROYED)\)\n/);
    // The live line is gone at the end: erased, or followed by an event line.
    const last = pieces.at(-1)!;
    expect(last === '' || last.endsWith('\n')).toBe(true);
    expect(out.join('')).toMatch(/^paused-1: /);
  });
});
