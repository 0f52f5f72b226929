// Every HostAgent RPC through a real gRPC client against an in-process agent
// on a fresh test-driver node (test/fixtures/test-node.xml) per test.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { nfsMountpoint } from '../../src/agent/volume/nfs';
import { ScriptedRunner } from '../helpers/scripted-runner';
import {
  codeName, domainXml, NODE_DOMAINS, startTestAgent, uuidFor, type Msg, type TestAgent, type TestAgentOptions,
} from '../helpers/agent-client';

const VDB_PATH = '/dev/disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.2010-10.org.openstack:volume-1-lun-1';
const STEP_OUTCOMES = ['ok', 'skipped', 'fallback', 'warning', 'failed'];

let t: TestAgent | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});
async function agent(opts?: TestAgentOptions): Promise<TestAgent> {
  t = await startTestAgent(opts);
  return t;
}

function expectSteps(steps: Msg[], names: string[]): void {
  expect(steps.map((s) => s.name)).toEqual(names);
  for (const s of steps) {
    expect(STEP_OUTCOMES).toContain(s.outcome);
    expect(typeof s.detail).toBe('string');
    expect(Number.isInteger(s.duration_ms) && s.duration_ms >= 0).toBe(true);
  }
}

async function state(a: TestAgent, name: string): Promise<string> {
  return (await a.client.call('GetDomain', { domain: { name } })).power_state as string;
}

describe('read RPCs', () => {
  it('GetHostInfo reports libvirt 9.0.0, the URI and a live connection', async () => {
    const a = await agent();
    const info = await a.client.call('GetHostInfo');
    expect(info).toMatchObject({
      libvirt_uri: a.node.uri, libvirt_version: '9.0.0', connected: true, agent_version: '0.1.0', instances_path: a.config.instancesPath,
    });
    expect(info.hostname).not.toBe('');
    expect(info.hypervisor_version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('ListDomains returns all five fixture domains with state, persistence, managed save and disks', async () => {
    const a = await agent();
    const { domains } = await a.client.call('ListDomains');
    const byName = new Map<string, Msg>(domains.map((d: Msg) => [d.name, d]));
    expect([...byName.keys()].sort()).toEqual(Object.keys(NODE_DOMAINS).sort());
    for (const [name, want] of Object.entries(NODE_DOMAINS)) {
      const d = byName.get(name)!;
      expect(d, name).toMatchObject({ uuid: want.uuid, power_state: want.power_state, persistent: want.persistent, has_managed_save: want.has_managed_save });
      expect(d.disks.map((k: Msg) => k.target_dev), name).toEqual(want.disks);
      expect(d.state_reason, name).toMatch(new RegExp(`^${want.power_state.replace('POWER_STATE_', '')}_[A-Z_0-9]+$`));
      if (want.power_state === 'POWER_STATE_SHUTOFF') expect(d.id, name).toBe(-1);
      else expect(d.id, name).toBeGreaterThan(0);
    }
    const web = byName.get('web-1')!;
    expect(web.disks[0]).toEqual({
      target_dev: 'vda', source: path.join(a.node.instancesPath, NODE_DOMAINS['web-1'].uuid, 'disk'), type: 'file', device: 'disk', bus: 'virtio', protocol: '',
    });
    expect(web.disks[1]).toMatchObject({ target_dev: 'vdb', source: VDB_PATH, type: 'block' });
  });

  it('GetDomain by name, by uuid and by upper-case uuid return the same domain', async () => {
    const a = await agent();
    const uuid = NODE_DOMAINS['saved-1'].uuid;
    const byName = await a.client.call('GetDomain', { domain: { name: 'saved-1' } });
    expect(byName).toMatchObject({ name: 'saved-1', uuid, power_state: 'POWER_STATE_SHUTOFF', has_managed_save: true, id: -1 });
    expect(await a.client.call('GetDomain', { domain: { uuid } })).toEqual(byName);
    expect(await a.client.call('GetDomain', { domain: { uuid: uuid.toUpperCase() } })).toEqual(byName);
  });

  it('GetDomain of an unknown name or uuid is NOT_FOUND naming it', async () => {
    const a = await agent();
    const byName = await a.client.fail('GetDomain', { domain: { name: 'ghost-1' } });
    expect(byName.code).toBe(grpc.status.NOT_FOUND);
    expect(byName.details).toContain('ghost-1');
    const uuid = uuidFor(99);
    const byUuid = await a.client.fail('GetDomain', { domain: { uuid: uuid.toUpperCase() } });
    expect(byUuid.code).toBe(grpc.status.NOT_FOUND);
    expect(byUuid.details.toLowerCase()).toContain(uuid);
  });
});

describe('DefineDomain', () => {
  it('defines a persistent domain (stopped) and define+start runs it', async () => {
    const a = await agent();
    const d = await a.client.call('DefineDomain', { xml: domainXml('new-1', uuidFor(1)) });
    expect(d).toMatchObject({ name: 'new-1', uuid: uuidFor(1), power_state: 'POWER_STATE_SHUTOFF', persistent: true, id: -1 });
    const s = await a.client.call('DefineDomain', { xml: domainXml('new-2', uuidFor(2)), start: true });
    expect(s).toMatchObject({ name: 'new-2', power_state: 'POWER_STATE_RUNNING', persistent: true });
    expect(s.id).toBeGreaterThan(0);
    expect((await a.client.call('ListDomains')).domains).toHaveLength(7);
    // Redefining an existing domain updates it; it stays running.
    expect(await a.client.call('DefineDomain', { xml: domainXml('new-2', uuidFor(2)), start: true })).toMatchObject({ power_state: 'POWER_STATE_RUNNING' });
  });

  it('creates a transient domain (running, not persistent) and keeps its XML under state_dir, mode 0600', async () => {
    const a = await agent();
    const uuid = uuidFor(3);
    const d = await a.client.call('DefineDomain', { xml: domainXml('tr-1', uuid), transient: true });
    expect(d).toMatchObject({ name: 'tr-1', uuid, power_state: 'POWER_STATE_RUNNING', persistent: false });
    const file = path.join(a.config.stateDir, 'domains', `${uuid}.xml`);
    const st = fs.statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file, 'utf8')).toContain(`<uuid>${uuid}</uuid>`);
    // The stored copy is what HardReboot starts it again from.
    const r = await a.client.call('HardReboot', { domain: { name: 'tr-1' } });
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true });
    expect(r.steps.find((s: Msg) => s.name === 'load-definition').detail).toBe('stored transient copy');
  });

  it('refuses bad XML with INVALID_ARGUMENT naming xml', async () => {
    const a = await agent();
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
      + '<domain type="test"><name>&lol2;</name></domain>';
    const cases: Array<[string, string, RegExp]> = [
      ['malformed', '<domain type="test"><name>x</name>', /not well-formed/],
      ['DOCTYPE/ENTITY bomb', bomb, /DTD|entit/i],
      ['ENTITY without DOCTYPE', '<domain><!ENTITY x "y"></domain>', /DTD|entit/i],
      ['empty', '', /empty/],
      ['whitespace', '  \n ', /empty/],
      ['over 1 MiB', `<domain type="test"><name>big</name><description>${'x'.repeat(1024 * 1024)}</description></domain>`, /larger/],
      ['missing name', `<domain type="test"><uuid>${uuidFor(4)}</uuid><memory>1024</memory><os><type>hvm</type></os></domain>`, /name/],
      ['missing os type', '<domain type="test"><name>x</name><memory>1024</memory></domain>', /os/],
      ['wrong root', '<foo/>', /domain/],
      ['disk without source', '<domain type="test"><name>x</name><memory>1024</memory><os><type>hvm</type></os>'
        + '<devices><disk type="file"><target dev="vda"/></disk></devices></domain>', /source/],
    ];
    for (const [label, xml, detail] of cases) {
      const err = await a.client.fail('DefineDomain', { xml, start: true });
      expect({ label, code: err.code }).toEqual({ label, code: grpc.status.INVALID_ARGUMENT });
      expect(err.details, label).toMatch(/^xml: /);
      expect(err.details, label).toMatch(detail);
      expect(err.details.length, label).toBeLessThan(2048);
    }
    expect((await a.client.call('ListDomains')).domains).toHaveLength(5);
  });
});

describe('PowerOff / PowerOn / HardReboot', () => {
  it('PowerOff: clean stop, already stopped, and timeout 0 destroys at once', async () => {
    const a = await agent();
    const off = await a.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 30, shutdown_methods: ['SHUTDOWN_METHOD_ACPI'] });
    expect(off).toMatchObject({ clean: true, shutdown_requests: 1, power_state: 'POWER_STATE_SHUTOFF' });
    expect(Number.isInteger(off.elapsed_ms)).toBe(true);
    expectSteps(off.steps, ['shutdown-request', 'wait-stopped']);
    expect(await state(a, 'web-1')).toBe('POWER_STATE_SHUTOFF');

    const again = await a.client.call('PowerOff', { domain: { name: 'web-1' } });
    expect(again).toMatchObject({ clean: true, shutdown_requests: 0, power_state: 'POWER_STATE_SHUTOFF' });
    expectSteps(again.steps, ['check-state']);
    expect(again.steps[0].outcome).toBe('skipped');

    const hard = await a.client.call('PowerOff', { domain: { uuid: NODE_DOMAINS['paused-1'].uuid }, timeout_seconds: 0 });
    expect(hard).toMatchObject({ clean: false, shutdown_requests: 0, power_state: 'POWER_STATE_SHUTOFF' });
    expect(hard.steps.map((s: Msg) => s.name).join()).toMatch(/destroy/);
  });

  it('PowerOn starts a stopped domain, leaves a running one alone and resumes or discards a managed save', async () => {
    const a = await agent();
    const on = await a.client.call('PowerOn', { domain: { name: 'db-1' }, wait_timeout_seconds: 10 });
    expect(on).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true, resumed_managed_save: false });
    expectSteps(on.steps, ['load-definition', 'check-disks', 'start', 'wait-running']);
    expect(await state(a, 'db-1')).toBe('POWER_STATE_RUNNING');

    const running = await a.client.call('PowerOn', { domain: { name: 'web-1' } });
    expect(running).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: false });
    expectSteps(running.steps, ['check-state']);

    const resumed = await a.client.call('PowerOn', { domain: { name: 'saved-1' } });
    expect(resumed).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true, resumed_managed_save: true });
  });

  it('PowerOn with discard_managed_save removes the image first', async () => {
    const a = await agent();
    const r = await a.client.call('PowerOn', { domain: { name: 'saved-1' }, discard_managed_save: true });
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', resumed_managed_save: false });
    expect(r.steps.map((s: Msg) => s.name)).toContain('managed-save-remove');
    expect((await a.client.call('GetDomain', { domain: { name: 'saved-1' } })).has_managed_save).toBe(false);
  });

  it('HardReboot restarts a domain; refuses (FAILED_PRECONDITION) when a disk is missing, before destroying it', async () => {
    const a = await agent();
    const r = await a.client.call('HardReboot', { domain: { name: 'paused-1' } });
    expect(r).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true });
    expect(r.steps.map((s: Msg) => s.name)).toEqual(expect.arrayContaining(['load-definition', 'check-disks', 'start', 'wait-running']));

    // web-1's vdb is a block device that does not exist on this machine.
    const err = await a.client.fail('HardReboot', { domain: { name: 'web-1' } });
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain('vdb');
    expect(await state(a, 'web-1')).toBe('POWER_STATE_RUNNING');

    // A transient domain the agent did not create has no stored definition.
    const tr = await a.client.fail('HardReboot', { domain: { name: 'transient-1' } });
    expect(tr.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(tr.details).toContain('transient-1');
  });

  it('HardReboot of a managed-saved domain drops the image by default (a fresh boot); discard_managed_save:false resumes it', async () => {
    const a = await agent();
    const fresh = await a.client.call('HardReboot', { domain: { name: 'saved-1' } });
    expect(fresh).toMatchObject({ power_state: 'POWER_STATE_RUNNING', started: true, resumed_managed_save: false });
    expect(fresh.steps.map((s: Msg) => s.name)).toContain('managed-save-remove');

    const b = await startTestAgent();
    try {
      const kept = await b.client.call('HardReboot', { domain: { name: 'saved-1' }, discard_managed_save: false });
      expect(kept).toMatchObject({ started: true, resumed_managed_save: true });
      expect(kept.steps.map((s: Msg) => s.name)).not.toContain('managed-save-remove');
    } finally {
      await b.close();
    }
  });

  it('PowerOn with volumes connects them first; an invalid one keeps the domain off', async () => {
    const a = await agent();
    const file = path.join(a.node.dir, 'vol-1.img');
    fs.writeFileSync(file, 'v');
    const vol = (p: string) => ({ volume_id: 'vol-1', target_dev: 'vdb', connection_info: { driver_volume_type: 'local', data: { device_path: p } } });
    const bad = await a.client.fail('PowerOn', { domain: { name: 'db-1' }, volumes: [vol('relative/path')] });
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^volumes\[0\]\.connection_info\.data\.device_path: /);
    const on = await a.client.call('PowerOn', { domain: { name: 'db-1' }, volumes: [vol(file)] });
    expect(on).toMatchObject({ started: true });
    expectSteps(on.steps, ['load-definition', 'local: check device', 'connect-volume vol-1', 'check-disks', 'start', 'wait-running']);
  });

  it('PowerOn with an iSCSI volume whose portal is down (scripted iscsiadm: no iSCSI on this machine): UNAVAILABLE naming target and portal, domain stays off', async () => {
    const iqn = 'iqn.2010-10.org.openstack:volume-off';
    const portal = '192.0.2.30:3260';
    const runner = new ScriptedRunner()
      .expect('iscsiadm', ['-m', 'session', '-P', '3'], { code: 21 })
      .expect('iscsiadm', ['-m', 'node', '-T', iqn, '-p', portal])
      .expect('iscsiadm', ['-m', 'node', '-T', iqn, '-p', portal, '--login'], { code: 8, stderr: 'iscsiadm: initiator reported error (8 - connection timed out)' });
    const a = await agent({ overrides: { runner } });
    const err = await a.client.fail('PowerOn', {
      domain: { name: 'db-1' },
      volumes: [{ volume_id: 'v', target_dev: 'vdb', connection_info: { driver_volume_type: 'iscsi', data: { target_portal: portal, target_iqn: iqn, target_lun: '1' } } }],
    });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain(`iSCSI target ${iqn} at portal ${portal}: the connection to the portal timed out`);
    expect(await state(a, 'db-1')).toBe('POWER_STATE_SHUTOFF');
    runner.assertDone();
  });

  it('PowerOn refuses to start without the disk file', async () => {
    const a = await agent();
    fs.rmSync(a.node.diskFiles['db-1']![0]!);
    const err = await a.client.fail('PowerOn', { domain: { name: 'db-1' } });
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain(a.node.diskFiles['db-1']![0]!);
    expect(await state(a, 'db-1')).toBe('POWER_STATE_SHUTOFF');
  });

  it('a repeated request_id returns the first result without acting again; reuse for another domain is refused', async () => {
    const a = await agent();
    const first = await a.client.call('PowerOff', { domain: { name: 'paused-1' }, request_id: 'req-1' });
    expect(first.shutdown_requests).toBe(1);
    await a.client.call('PowerOn', { domain: { name: 'paused-1' } });
    const replay = await a.client.call('PowerOff', { domain: { name: 'paused-1' }, request_id: 'req-1' });
    expect(replay).toEqual(first);
    // Not acted again: paused-1 is still running.
    expect(await state(a, 'paused-1')).toBe('POWER_STATE_RUNNING');
    const other = await a.client.fail('PowerOff', { domain: { name: 'db-1' }, request_id: 'req-1' });
    expect(other.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(other.details).toMatch(/^request_id: /);
    // An id names one request: another method, or the same one with another body, is refused too.
    const method = await a.client.fail('PowerOn', { domain: { name: 'paused-1' }, request_id: 'req-1' });
    expect([codeName(method.code), method.details]).toEqual(['INVALID_ARGUMENT', 'request_id: already used by a PowerOff request; a request id names one request']);
    const body = await a.client.fail('PowerOff', { domain: { name: 'paused-1' }, request_id: 'req-1', timeout_seconds: 7 });
    expect(codeName(body.code)).toBe('INVALID_ARGUMENT');
    expect(body.details).toMatch(/^request_id: .*different body/);
    expect(await state(a, 'paused-1')).toBe('POWER_STATE_RUNNING');
    expect((await a.client.call('PowerOn', { domain: { name: 'db-1' }, request_id: 'req-2' })).started).toBe(true);

    const d1 = await a.client.call('Destroy', { domain: { name: 'db-1' }, request_id: 'del-1' });
    expect(d1.found).toBe(true);
    expect(await a.client.call('Destroy', { domain: { name: 'db-1' }, request_id: 'del-1' })).toEqual(d1);
    expect((await a.client.call('Destroy', { domain: { name: 'db-1' } })).found).toBe(false);
  });
});

describe('Destroy', () => {
  it('destroys, removes owned disks and undefines; a missing domain is found:false', async () => {
    const a = await agent();
    const disk = a.node.diskFiles['web-1']![0]!;
    const r = await a.client.call('Destroy', { domain: { name: 'web-1' }, destroy_disks: true });
    expect(r).toMatchObject({ found: true, was_running: true, undefined: true });
    expect(r.steps.map((s: Msg) => s.name)).toEqual(expect.arrayContaining(['remove-disk vda', 'undefine']));
    expect(r.steps.at(-1)).toMatchObject({ name: 'undefine', outcome: 'ok' });
    expect(fs.existsSync(disk)).toBe(false);
    expect((await a.client.fail('GetDomain', { domain: { name: 'web-1' } })).code).toBe(grpc.status.NOT_FOUND);

    const saved = await a.client.call('Destroy', { domain: { uuid: NODE_DOMAINS['saved-1'].uuid } });
    expect(saved).toMatchObject({ found: true, was_running: false, undefined: true, managed_save_removed: true });

    const gone = await a.client.call('Destroy', { domain: { name: 'web-1' } });
    expect(gone).toMatchObject({ found: false, was_running: false, undefined: false, warnings: [] });
    expectSteps(gone.steps, ['lookup']);
  });

  it('keeps disks without destroy_disks', async () => {
    const a = await agent();
    const disk = a.node.diskFiles['db-1']![0]!;
    expect(await a.client.call('Destroy', { domain: { name: 'db-1' } })).toMatchObject({ found: true, undefined: true });
    expect(fs.existsSync(disk)).toBe(true);
  });
});

describe('DisconnectVolume', () => {
  const local = (device_path: string, target_dev = ''): Msg =>
    ({ volume_id: 'vol-1', target_dev, connection_info: { driver_volume_type: 'local', data: { device_path } } });
  const iscsi = (target_iqn: string, target_dev = ''): Msg => ({
    volume_id: 'vol-2', target_dev,
    connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.10:3260', target_iqn, target_lun: '1' } },
  });

  it('a request_id reused for another volume of the same domain is INVALID_ARGUMENT, never the first answer', async () => {
    const a = await agent();
    const first = await a.client.call('DisconnectVolume', { domain: { name: 'web-1' }, volume: local('/dev/not-attached-1'), request_id: 'dv-1' });
    expect(await a.client.call('DisconnectVolume', { domain: { name: 'web-1' }, volume: local('/dev/not-attached-1'), request_id: 'dv-1' })).toEqual(first);
    const other = await a.client.fail('DisconnectVolume', { domain: { name: 'web-1' }, volume: local('/dev/not-attached-2'), request_id: 'dv-1' });
    expect([codeName(other.code), other.details]).toEqual(['INVALID_ARGUMENT',
      'request_id: already used by a DisconnectVolume request with a different body; use a new request id for a different request']);
    const host = await a.client.fail('DisconnectVolume', { volume: local('/dev/not-attached-1'), request_id: 'dv-1' });
    expect(codeName(host.code)).toBe('INVALID_ARGUMENT');
  });

  it('host-only local volume: OK with a skipped host step', async () => {
    const a = await agent();
    const r = await a.client.call('DisconnectVolume', { volume: local('/dev/nonexistent-local') });
    expect(r).toMatchObject({ detached_from_domain: true, host_disconnected: true, warnings: [] });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ outcome: 'skipped' });
  });

  it('with localVolumeDirs: a path outside (also through a symlink or "..") is INVALID_ARGUMENT, Destroy refuses before acting', async () => {
    const a = await agent({ config: (cfg) => { cfg.localVolumeDirs = [path.join(cfg.stateDir, '..', 'volumes')]; } });
    const dir = path.join(a.node.dir, 'volumes');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'vol-ok'), '');
    fs.symlinkSync('/etc/hostname', path.join(dir, 'escape'));
    expect(await a.client.call('DisconnectVolume', { volume: local(path.join(dir, 'vol-ok')) })).toMatchObject({ host_disconnected: true });
    for (const p of ['/etc/hostname', path.join(dir, 'escape'), path.join(dir, '..', 'node.xml')]) {
      const e = await a.client.fail('DisconnectVolume', { domain: { name: 'web-1' }, volume: local(p) });
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details).toMatch(/^volume\.connection_info\.data\.device_path: .*not inside the allowed directories/);
    }
    const d = await a.client.fail('Destroy', { domain: { name: 'web-1' }, volumes: [local('/etc/hostname', 'vdb')] });
    expect(d.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(d.details).toMatch(/^volumes\[0\]\.connection_info\.data\.device_path/);
    // Nothing happened to the domain.
    expect((await a.client.call('GetDomain', { domain: { name: 'web-1' } })).power_state).toBe('POWER_STATE_RUNNING');
  });

  it('local volume not attached to web-1: detached_from_domain true, OK', async () => {
    const a = await agent();
    const r = await a.client.call('DisconnectVolume', { domain: { name: 'web-1' }, volume: local('/dev/not-attached') });
    expect(r).toMatchObject({ detached_from_domain: true, host_disconnected: true });
    expect(r.steps[0]).toMatchObject({ name: 'detach', outcome: 'skipped', detail: 'volume not attached' });
  });

  it('a volume attached on the test driver cannot be detached: FAILED_PRECONDITION; with ignore_errors OK with warnings', async () => {
    const a = await agent();
    const err = await a.client.fail('DisconnectVolume', { domain: { name: 'web-1' }, volume: local(VDB_PATH, 'vdb') });
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/vdb/);
    expect(err.details).toMatch(/NO_SUPPORT/);
    // Still attached.
    expect((await a.client.call('GetDomain', { domain: { name: 'web-1' } })).disks.map((d: Msg) => d.target_dev)).toEqual(['vda', 'vdb']);

    const r = await a.client.call('DisconnectVolume', { domain: { name: 'web-1' }, volume: local(VDB_PATH, 'vdb'), ignore_errors: true });
    expect(r.detached_from_domain).toBe(false);
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(r.warnings[0]).toMatch(/NO_SUPPORT/);
    expect(r.steps.some((s: Msg) => s.outcome === 'warning')).toBe(true);
  });

  it('unknown driver_volume_type is INVALID_ARGUMENT naming the field', async () => {
    const a = await agent();
    const err = await a.client.fail('DisconnectVolume', {
      domain: { name: 'web-1' }, volume: { volume_id: 'v', connection_info: { driver_volume_type: 'fibre_channel' } },
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^volume\.connection_info\.driver_volume_type: /);
    const missing = await a.client.fail('DisconnectVolume', { volume: { volume_id: 'v' } });
    expect(missing.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(missing.details).toMatch(/^volume\.connection_info\.driver_volume_type: /);
  });

  it('iscsi with a bad IQN is INVALID_ARGUMENT before any command runs (host-only and not-attached domain)', async () => {
    const runner = new ScriptedRunner([]);
    const a = await agent({ overrides: { runner } });
    for (const req of [{ volume: iscsi('not an iqn') }, { domain: { name: 'db-1' }, volume: iscsi('iqn.2010-13.bad') }]) {
      const err = await a.client.fail('DisconnectVolume', req);
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(/^volume\.connection_info\.data\.target_iqn: /);
    }
    expect(runner.calls).toEqual([]);
    runner.assertDone();
  });

  // Known flow bug (src/agent/flows/disconnect-volume.ts): connection_info.data
  // is only validated by the connector after the guest detach, so a request
  // that can never succeed first detaches the device from the guest. On the
  // test driver the detach fails (NO_SUPPORT) first, so this answers
  // FAILED_PRECONDITION instead of INVALID_ARGUMENT. Flip to it() once fixed.
  it('iscsi with a bad IQN on an attached volume is INVALID_ARGUMENT before the guest detach', async () => {
    const runner = new ScriptedRunner([]);
    const a = await agent({ overrides: { runner } });
    const err = await a.client.fail('DisconnectVolume', { domain: { name: 'web-1' }, volume: iscsi('not an iqn', 'vdb') });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});

describe('ConnectVolume', () => {
  const local = (p: string) => ({ volume_id: 'vol-9', connection_info: { driver_volume_type: 'local', data: { device_path: p } } });

  it('local: answers the device path with its steps; a domain that does not exist yet is fine; request_id replays', async () => {
    const a = await agent();
    const file = path.join(a.node.dir, 'vol-9.img');
    fs.writeFileSync(file, 'v');
    const r = await a.client.call('ConnectVolume', { volume: local(file), domain: { uuid: '99999999-9999-4999-8999-999999999999' }, request_id: 'c-1' });
    expect(r.device_path).toBe(file);
    expectSteps(r.steps, ['local: check device']);
    expect(await a.client.call('ConnectVolume', { volume: local(file), domain: { uuid: '99999999-9999-4999-8999-999999999999' }, request_id: 'c-1' })).toEqual(r);
  });

  it('iscsi through the command runner (scripted: no iSCSI on this machine): login, then the by-path device', async () => {
    const iqn = 'iqn.2010-10.org.openstack:volume-9';
    const node = (...rest: string[]): [string, string[]] => ['iscsiadm', ['-m', 'node', '-T', iqn, '-p', '192.0.2.10:3260', ...rest]];
    const runner = new ScriptedRunner()
      .expect('iscsiadm', ['-m', 'session', '-P', '3'], { code: 21 })
      .expect(...node())
      .expect(...node('--login'))
      .expect(...node('--op', 'update', '-n', 'node.startup', '-v', 'automatic'));
    for (let i = 0; i < 3; i++) runner.expect(...node('--rescan'));
    const a = await agent({ overrides: { runner }, config: (c) => { c.iscsi.deviceWaitSeconds = 3; } });
    // /dev/disk/by-path/... never appears here: the wait ends in DEADLINE_EXCEEDED after 3 s, naming the path.
    const err = await a.client.fail('ConnectVolume', {
      volume: { volume_id: 'v', connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.10:3260', target_iqn: iqn, target_lun: '1' } } },
    });
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(err.details).toContain('192.0.2.10:3260 lun 1');
    expect(runner.commands.slice(0, 4)).toEqual(['iscsiadm -m session -P 3', ...[node(), node('--login'), node('--op', 'update', '-n', 'node.startup', '-v', 'automatic')].map(([c, x]) => [c, ...x].join(' '))]);
  });

  it('nfs, the server unreachable (scripted mount: no NFS client on this machine): UNAVAILABLE naming the export', async () => {
    const exp = '192.0.2.20:/srv/vols';
    const runner = new ScriptedRunner();
    const a = await agent({ overrides: { runner } });
    runner.push({ cmd: 'mount', args: ['-t', 'nfs', '--', exp, nfsMountpoint(a.config.nfsMountBase, exp)], result: { code: 32, stderr: 'mount.nfs: Connection timed out' } });
    const err = await a.client.fail('ConnectVolume', { volume: { volume_id: 'v', connection_info: { driver_volume_type: 'nfs', data: { export: exp, name: 'volume-v' } } } });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(new RegExp(`^NFS export ${exp.replace(/[.]/g, '\\.')}: the NFS server could not be reached .*Connection timed out`));
    runner.assertDone();
  });

  it('iscsi, CHAP refused by the target (scripted iscsiadm: no iSCSI on this machine): FAILED_PRECONDITION naming target and portal', async () => {
    const iqn = 'iqn.2010-10.org.openstack:volume-auth';
    const node = (...rest: string[]): [string, string[]] => ['iscsiadm', ['-m', 'node', '-T', iqn, '-p', '192.0.2.11:3260', ...rest]];
    const runner = new ScriptedRunner()
      .expect('iscsiadm', ['-m', 'session', '-P', '3'], { code: 21 })
      .expect(...node())
      .expect(...node('--login'), { code: 24, stderr: 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)' });
    const a = await agent({ overrides: { runner } });
    const err = await a.client.fail('ConnectVolume', {
      volume: { volume_id: 'v', connection_info: { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.11:3260', target_iqn: iqn, target_lun: '1' } } },
    });
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(new RegExp(`^iSCSI target ${iqn.replace(/[.]/g, '\\.')} at portal 192\\.0\\.2\\.11:3260: the target refused the login: authentication failed`));
    runner.assertDone();
  });

  it('bad input: INVALID_ARGUMENT naming the field; a missing local device: answered with a warning step', async () => {
    const a = await agent();
    const noVol = await a.client.fail('ConnectVolume', {});
    expect(noVol.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noVol.details).toMatch(/^volume: /);
    const badType = await a.client.fail('ConnectVolume', { volume: { volume_id: 'x', connection_info: { driver_volume_type: 'fc', data: {} } } });
    expect(badType.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badType.details).toMatch(/^volume\.connection_info\.driver_volume_type: /);
    const rbd = await a.client.fail('ConnectVolume', { volume: { volume_id: 'x', connection_info: { driver_volume_type: 'rbd', data: { name: 'vols/-x' } } } });
    expect(rbd.code).toBe(grpc.status.INVALID_ARGUMENT);
    const gone = await a.client.call('ConnectVolume', { volume: local('/nonexistent/virt-agent/vol') });
    expect(gone.steps).toEqual([expect.objectContaining({ name: 'local: check device', outcome: 'warning' })]);
  });
});

describe('DefineDomain: content errors libvirt reports as internal', () => {
  let ta: TestAgent;
  beforeAll(async () => {
    ta = await startTestAgent();
  });
  afterAll(() => ta.close());

  it('a malformed <uuid> is INVALID_ARGUMENT naming xml', async () => {
    const e = await ta.client.fail('DefineDomain', {
      xml: "<domain type='test'><name>u1</name><uuid>not-a-uuid</uuid><memory>1024</memory><os><type>hvm</type></os></domain>",
    });
    expect(codeName(e.code)).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatch(/^xml: .*uuid/);
  });

  it('an existing name with another uuid is FAILED_PRECONDITION', async () => {
    const e = await ta.client.fail('DefineDomain', {
      xml: "<domain type='test'><name>web-1</name><uuid>99999999-9999-4999-8999-999999999999</uuid><memory>1024</memory><os><type>hvm</type></os></domain>",
    });
    expect(codeName(e.code)).toBe('FAILED_PRECONDITION');
    expect(e.details).toContain('already exists');
  });
});
