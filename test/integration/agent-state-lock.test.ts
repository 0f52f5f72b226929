// One agent per state directory: a second agent (in the same process or as a
// daemon process) on a running agent's --state-dir is refused with a clear
// message before it reads or writes anything there — the journal stays
// byte-identical and the first agent keeps journaling. Once the first stops,
// the directory can be used again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { startAgent } from '../../src/agent/agent';
import { silentLogger } from '../../src/logging';
import { REPO_ROOT, startTestAgent, type TestAgent } from '../helpers/agent-client';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'virt-agent.js');
const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

/** Name → [size, mtime, content hash-ish] of every file in the directory. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const st = fs.statSync(path.join(dir, name));
    out[name] = st.isFile() ? `${st.size}:${st.mtimeMs}:${fs.readFileSync(path.join(dir, name), 'base64')}` : 'dir';
  }
  return out;
}

describe('one agent per state directory', () => {
  it('a second agent in the same process is refused and changes nothing; the first keeps working', async () => {
    const first = await startTestAgent({ overrides: { requireLibvirt: true } });
    agents.push(first);
    await first.client.call('Destroy', { domain: { name: 'saved-1' }, request_id: 'del-saved-1' });
    const stateDir = first.config.stateDir;
    const journal = fs.readFileSync(path.join(stateDir, 'journal.jsonl'));
    const before = snapshot(stateDir);
    expect(fs.readFileSync(path.join(stateDir, 'lock'), 'utf8').trim()).toBe(String(process.pid));

    const err = await startAgent({ ...first.config, listen: '127.0.0.1:0' }, silentLogger()).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ kind: 'FailedPrecondition' });
    expect((err as Error).message).toBe(`state directory ${stateDir} is in use by another virt-agent (pid ${process.pid}); `
      + 'refusing to start a second agent on it (one agent per --state-dir)');
    expect(snapshot(stateDir)).toEqual(before);
    expect(fs.readFileSync(path.join(stateDir, 'journal.jsonl')).equals(journal)).toBe(true);

    // The first agent's journal is still the live one.
    await first.client.call('Destroy', { domain: { name: 'db-1' }, request_id: 'del-db-1' });
    expect(fs.readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8')).toContain('del-db-1');
    expect(first.agent.journal.cache.get('del-saved-1')).toBeDefined();
  });

  it('a second agent process exits 1 with the message and leaves the journal byte-identical', async () => {
    const first = await startTestAgent({ overrides: { requireLibvirt: true } });
    agents.push(first);
    await first.client.call('PowerOff', { domain: { name: 'web-1' }, timeout_seconds: 0, request_id: 'off-1' });
    const stateDir = first.config.stateDir;
    const before = snapshot(stateDir);
    const child = spawn(process.execPath, [CLI, '--state-dir', stateDir, '--libvirt-uri', first.config.libvirtUri,
      '--listen', '127.0.0.1:0', '--plaintext-loopback', 'true', '--instances-path', first.config.instancesPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`virt-agent: state directory ${stateDir} is in use by another virt-agent (pid ${process.pid}); `
      + 'refusing to start a second agent on it (one agent per --state-dir)');
    expect(snapshot(stateDir)).toEqual(before);
    expect((await first.client.call('GetDomain', { domain: { name: 'web-1' } })).power_state).toBe('POWER_STATE_SHUTOFF');
  });

  it('after the first agent stops, the directory is free again (and its replay results are there)', async () => {
    const first = await startTestAgent({ overrides: { requireLibvirt: true } });
    agents.push(first);
    await first.client.call('Destroy', { domain: { name: 'saved-1' }, request_id: 'del-saved-1' });
    await first.agent.stop(1000);
    const second = await startAgent({ ...first.config, listen: '127.0.0.1:0' }, silentLogger(), { requireLibvirt: true });
    try {
      expect(second.journal.cache.get('del-saved-1')).toBeDefined();
    } finally {
      await second.stop(1000);
    }
  });
});
