// Fault injection: the agent is killed with SIGKILL in the middle of a batch of
// Destroys against the real libvirtd (some of the domains running, so their
// Destroy takes a while). After a restart every domain is either fully deleted
// (its Destroy had begun: finished before the kill, or rolled forward from the
// journal) or untouched (its Destroy never began), and the clients' retries
// with the same request ids all succeed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { parseJournal } from '../../src/agent/journal';
import { AgentProcess, Virsh, pollUntil, record } from './helpers';

const env = inject('e2e');
const virsh = new Virsh(env.LIBVIRT_URI);
const COUNT = 60;
const RUNNING = 6;
const names = Array.from({ length: COUNT }, (_, i) => `e2e-crash-${String(i).padStart(3, '0')}`);

let tmp: string;
const agents: AgentProcess[] = [];

/** No OS to boot: QEMU sits in the BIOS, which is all a Destroy needs. */
function domainXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory>`
    + `<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`;
}

async function start(): Promise<AgentProcess> {
  const a = await AgentProcess.start({
    dir: path.join(tmp, 'agent'), uri: env.LIBVIRT_URI, instancesPath: path.join(tmp, 'instances'), logLevel: 'info',
  });
  agents.push(a);
  return a;
}

function journal(): ReturnType<typeof parseJournal> {
  const file = path.join(tmp, 'agent', 'state', 'journal.jsonl');
  return parseJournal(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
}

async function snapshot(): Promise<Map<string, string | null>> {
  return new Map(await Promise.all(names.map(async (n) => [n, await virsh.state(n)] as const)));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-crash-'));
  fs.mkdirSync(path.join(tmp, 'instances'));
  await Promise.all(names.map(async (n, i) => {
    const file = path.join(tmp, `${n}.xml`);
    fs.writeFileSync(file, domainXml(n));
    await virsh.run(['define', file]);
    if (i % (COUNT / RUNNING) === 0) await virsh.run(['start', n]);
  }));
}, 120_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  for (const n of await virsh.names()) if (n.startsWith('e2e-crash-')) await virsh.remove(n);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('kill -9 during a batch of Destroys', () => {
  it('leaves every domain deleted or untouched, finishes the rest on restart, and answers retries', async () => {
    const before = await snapshot();
    expect([...before.values()].filter((s) => s === 'running')).toHaveLength(RUNNING);

    const first = await start();
    const calls = names.map((n) => first.client.call('Destroy', { domain: { name: n }, request_id: `del-${n}` }, 60_000)
      .then(() => 'ok', () => 'failed'));
    // Kill as soon as some Destroys have finished; the running ones take longer.
    await pollUntil(() => journal().finished.length >= 3, 30_000, 'first Destroys journaled', 2);
    first.proc.kill('SIGKILL');
    await first.exited;
    await Promise.all(calls);
    const atKill = journal();
    const begun = new Set([...atKill.finished, ...atKill.unfinished].map((u) => (u.begin.input as { ref: { name: string } }).ref.name));
    expect(atKill.unfinished.length).toBeGreaterThan(0); // the kill landed mid-batch

    const t0 = Date.now();
    const second = await start();
    await pollUntil(() => second.logs('journal recovery finished').length > 0, 60_000, 'journal recovery');
    const report = second.logs('journal recovery finished')[0]!;
    const recoveryMs = Date.now() - t0;
    expect(report).toMatchObject({ rolledForward: atKill.unfinished.length, failed: 0 });

    // Before any retry: begun → fully deleted; never begun → exactly as before.
    const after = await snapshot();
    for (const n of names) {
      if (begun.has(n)) expect(after.get(n), n).toBeNull();
      else expect(after.get(n), n).toBe(before.get(n));
    }

    // The clients retry everything with the same request ids: all succeed, all gone.
    const retries = await Promise.all(names.map((n) => second.client.call('Destroy', { domain: { name: n }, request_id: `del-${n}` }, 60_000)));
    expect(retries).toHaveLength(COUNT);
    expect((await virsh.names()).filter((n) => n.startsWith('e2e-crash-'))).toEqual([]);
    // Results of Destroys that finished before the kill come back from the journal.
    for (const f of atKill.finished) {
      const name = (f.begin.input as { ref: { name: string } }).ref.name;
      expect(retries[names.indexOf(name)]).toMatchObject({ found: true, undefined: true });
    }
    const summary = {
      finishedBeforeKill: atKill.finished.length, unfinishedAtKill: atKill.unfinished.length,
      untouched: COUNT - begun.size, recoveryMs,
    };
    record('crash', JSON.stringify(summary));
    console.log(`crash recovery: ${JSON.stringify(summary)}`);
  }, 180_000);
});
