// systemd's notify protocol (Type=notify, WatchdogSec=): the agent, started as
// systemd starts it (NOTIFY_SOCKET, WATCHDOG_USEC), sends READY=1 once it
// listens with libvirt connected, a STATUS= line, WATCHDOG=1 every half
// interval — and none while its libvirt watchdog is unhealthy (here: every
// libvirt thread blocked on a "libvirtd" that never answers), again once
// healthy — and STOPPING=1 on SIGTERM. The controller sends READY=1 and feeds
// its watchdog while its event loop runs. The socket is a real unix datagram
// socket (abstract and path), bound by test/helpers/notify-socket.ts.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { native } from '../../src/libvirt/native';
import { ServiceNotifier } from '../../src/service-notify';
import { REPO_ROOT, startTestAgent, type TestAgent } from '../helpers/agent-client';
import { withDeadline } from '../helpers/libvirt';
import { NotifySocket } from '../helpers/notify-socket';
import { silentLibvirtd } from '../helpers/silent-libvirtd';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function notifySocket(address: string): Promise<NotifySocket> {
  const s = await NotifySocket.open(address);
  cleanups.push(() => s.close());
  return s;
}

function daemon(cli: string, args: string[], env: NodeJS.ProcessEnv) {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('VIRT_') || k.startsWith('LIBVIRT_')) delete base[k];
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli', cli), ...args], {
    env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  cleanups.push(() => { child.kill('SIGKILL'); });
  return { child, exited };
}

describe('systemd notify', () => {
  it('the agent process: READY=1 with STATUS once listening and connected, WATCHDOG=1 every half interval, STOPPING=1 on SIGTERM (abstract socket)', async () => {
    const dir = tmpDir();
    const sock = await notifySocket(`@virt-agent-test-${randomUUID()}`);
    const agent = daemon('virt-agent.js', [
      '--listen', `unix://${dir}/agent.sock`, '--libvirt-uri', 'test:///default', '--state-dir', `${dir}/state`,
      '--instances-path', `${dir}/instances`, '--nfs-mount-base', `${dir}/mnt`,
    ], { NOTIFY_SOCKET: sock.address, WATCHDOG_USEC: '400000' });
    const spawnedAt = performance.now();

    const ready = await sock.waitFor((d) => d.fields.READY === '1', 20_000, 'READY=1');
    console.log(`virt-agent process: READY=1 ${(ready.at - spawnedAt).toFixed(0)} ms after spawn`);
    expect(ready.fields.STATUS).toBe('connected to test:///default, 0 operations in flight');
    expect(fs.existsSync(`${dir}/agent.sock`)).toBe(true); // it listens before it says so
    // Fed every 200 ms (half of 400 ms): three more pings arrive.
    const at = sock.datagrams.indexOf(ready);
    for (let n = 1; n <= 3; n++) {
      await sock.waitFor((d) => d.fields.WATCHDOG === '1' && sock.datagrams.indexOf(d) >= at + n, 5000, `WATCHDOG=1 #${n}`, at + 1);
    }
    agent.child.kill('SIGTERM');
    const stopping = await sock.waitFor((d) => d.fields.STOPPING === '1', 10_000, 'STOPPING=1');
    expect(stopping.fields.STATUS).toBe('stopping: draining 0 operations');
    expect(await withDeadline(agent.exited, 15_000, 'the agent to exit')).toBe(0);
  }, 60_000);

  it('no WATCHDOG=1 while the libvirt watchdog is unhealthy; STATUS says why; fed again when healthy (path socket)', async () => {
    const dir = tmpDir();
    const sock = await notifySocket(path.join(dir, 'notify'));
    let a: TestAgent | undefined = await startTestAgent({
      config: (cfg) => {
        cfg.libvirtThreads = 2;
        cfg.watchdog = { intervalMs: 100, timeoutMs: 400 };
      },
      overrides: { requireLibvirt: true, serviceEnv: { NOTIFY_SOCKET: sock.address, WATCHDOG_USEC: '200000' } },
    });
    cleanups.push(() => a?.close());
    await sock.waitFor((d) => d.fields.READY === '1', 10_000, 'READY=1');
    await sock.waitFor((d) => d.fields.WATCHDOG === '1', 5000, 'a first WATCHDOG=1');

    // Block both libvirt threads: the watchdog's probe cannot run, the agent is unhealthy.
    const silent = await silentLibvirtd();
    const blocked = [0, 1].map(() => native().open(`test+unix:///default?socket=${silent.socket}`).then((c) => c.close(), () => undefined));
    const down = await sock.waitFor((d) => /is not answering/.test(d.fields.STATUS ?? ''), 10_000, 'the unhealthy STATUS');
    expect(down.fields.STATUS).toMatch(/^libvirt at test:\/\/\/.* is not answering: virConnectGetLibVersion pending for \d+ s \(deadline 400 ms\).*, 0 operations in flight$/);
    expect(down.fields.WATCHDOG).toBeUndefined();
    expect(a.agent.watchdog.healthy).toBe(false);
    // Stay unhealthy for five half-intervals (100 ms each) of the service watchdog; nothing feeds it.
    const downFrom = sock.datagrams.indexOf(down);
    await new Promise((r) => setTimeout(r, 500));
    expect(a.agent.watchdog.healthy).toBe(false);
    expect(sock.datagrams.slice(downFrom).filter((d) => d.fields.WATCHDOG === '1')).toEqual([]);

    silent.close(); // libvirt's calls fail (end of file) and its threads come back
    await withDeadline(Promise.all(blocked), 15_000, 'the blocked libvirt threads to come back');
    const up = await sock.waitFor((d) => d.fields.WATCHDOG === '1', 10_000, 'WATCHDOG=1 again', downFrom + 1);
    expect(a.agent.watchdog.healthy).toBe(true);
    await sock.waitFor((d) => (d.fields.STATUS ?? '').startsWith('connected to test:///'), 5000, 'the healthy STATUS', downFrom + 1);
    const upAt = sock.datagrams.indexOf(up);
    await sock.waitFor((d) => d.fields.WATCHDOG === '1', 5000, 'a further WATCHDOG=1', upAt + 1);
    await a.close();
    a = undefined;
    await sock.waitFor((d) => d.fields.STOPPING === '1', 5000, 'STOPPING=1');
  }, 60_000);

  it('the controller process: READY=1 once listening, WATCHDOG=1 while its event loop runs, STOPPING=1 on SIGTERM', async () => {
    const dir = tmpDir();
    const sock = await notifySocket(`@virt-controller-test-${randomUUID()}`);
    const controller = daemon('virt-controller.js', [
      '--listen', `unix://${dir}/controller.sock`, '--db', `${dir}/controller.db`,
    ], { NOTIFY_SOCKET: sock.address, WATCHDOG_USEC: '400000' });
    const ready = await sock.waitFor((d) => d.fields.READY === '1', 20_000, 'READY=1');
    expect(ready.fields.STATUS).toMatch(/^listening on unix:\/\/.*controller\.sock, 0 hosts$/);
    expect(fs.existsSync(`${dir}/controller.sock`)).toBe(true);
    const at = sock.datagrams.indexOf(ready);
    await sock.waitFor((d) => d.fields.WATCHDOG === '1', 5000, 'WATCHDOG=1', at + 1);
    controller.child.kill('SIGTERM');
    await sock.waitFor((d) => d.fields.STOPPING === '1', 10_000, 'STOPPING=1');
    expect(await withDeadline(controller.exited, 15_000, 'the controller to exit')).toBe(0);
  }, 60_000);

  it('without NOTIFY_SOCKET nothing is sent; WATCHDOG_PID of another process disables the watchdog; a bad socket fails once, not the daemon', () => {
    expect(ServiceNotifier.fromEnv({ env: {} })).toBeUndefined();
    expect(ServiceNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '3000000', WATCHDOG_PID: '1' }, pid: 2 })?.watchdogMs).toBeUndefined();
    expect(ServiceNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '3000000', WATCHDOG_PID: '2' }, pid: 2 })?.watchdogMs).toBe(3000);
    const errors: string[] = [];
    const n = ServiceNotifier.fromEnv({ env: { NOTIFY_SOCKET: path.join(os.tmpdir(), `no-such-${randomUUID()}`) }, onError: (e) => errors.push(e.message) })!;
    n.notify({ ready: true });
    n.notify({ status: 'x' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^sendto .*no-such-.*: No such file or directory$/);
    const relative = ServiceNotifier.fromEnv({ env: { NOTIFY_SOCKET: 'relative' }, onError: (e) => errors.push(e.message) })!;
    relative.notify({ ready: true });
    expect(errors[1]).toMatch(/NOTIFY_SOCKET must be an absolute path or @abstract name/);
  });
});
