// Agents that register (agent --controller) and heartbeat, against a real
// controller and real agents on the libvirt test driver: the host appears in
// ListHosts and takes instances; no heartbeat for service_down_seconds →
// down; an agent restarted on another port registers again and is called
// there; a disabled host takes no new instances; and over mutual TLS only an
// agent with a certificate from the controller's CA gets its host registered.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { startAgent, type AgentHandle } from '../../src/agent/agent';
import { startRegistration } from '../../src/agent/registration';
import { defaultConfig } from '../../src/agent/config';
import { startController, type ControllerHandle } from '../../src/controller/controller';
import { defaultControllerConfig } from '../../src/controller/config';
import { channelCredentials } from '../../src/grpc/tls';
import { silentLogger } from '../../src/logging';
import { CertDir, SERVER_CLIENT_EXT } from '../helpers/certs';
import { ManualClock } from '../helpers/clocks';
import { ControllerClient, createXml, nodeXml, startTestAgent, startTestController, tempDir, type Msg, type TestAgent, type TestController } from './controller-helpers';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

/** Polls `f` until it returns a value, with a deadline. */
async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hostOf = async (ctl: { client: ControllerClient }, name: string): Promise<Msg | undefined> =>
  ((await ctl.client.call<{ hosts: Msg[] }>('ListHosts', {})).hosts).find((h) => h.name === name);

describe('registration and heartbeats (plaintext loopback)', () => {
  it('registers, heartbeats, takes instances, goes down without heartbeats, registers again after a restart', async () => {
    const clock = new ManualClock();
    const ctl: TestController = await startTestController({}, (c) => { c.serviceDownSeconds = 30; }, { clock });
    cleanups.push(() => ctl.stop());
    const start = (dir?: string): Promise<TestAgent> => startTestAgent({
      ...(dir ? { dir } : {}),
      tweak: (c) => Object.assign(c, { controllers: [`127.0.0.1:${ctl.handle.listen.port}`], hostName: 'reg-1', reportIntervalSeconds: 1 }),
    });
    let agent = await start();
    cleanups.push(() => agent.stop());

    const first = await until(async () => {
      const h = await hostOf(ctl, 'reg-1');
      return h && Number(h.last_heartbeat_ms) > 0 ? h : undefined;
    }, 'reg-1 registered');
    expect(first).toMatchObject({
      name: 'reg-1', address: agent.address, state: 'HOST_STATE_UP', static: false, disabled: false,
      libvirt_uri: expect.stringMatching(/^test:\/\//), libvirt_version: expect.stringMatching(/^\d+\.\d+\.\d+$/), instance_count: 0,
    });
    expect(Number(first.vcpus)).toBeGreaterThan(0);
    // Heartbeats move last_heartbeat_ms on (the controller's clock is manual: move it, then wait for the next beat).
    clock.advance(5000);
    await until(async () => (Number((await hostOf(ctl, 'reg-1'))!.last_heartbeat_ms) > Number(first.last_heartbeat_ms) ? true : undefined), 'a heartbeat');

    // The registered host takes instances (the pool calls the agent at its registered address).
    const inst = await ctl.client.call('CreateInstance', { name: 'r1', project_id: 'p', host: 'reg-1', domain_xml: createXml('r1'), vcpus: 1, memory_mib: 128 });
    expect(inst).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', host: 'reg-1' });
    expect(await hostOf(ctl, 'reg-1')).toMatchObject({ instance_count: 1 });

    // Disabled: no new creates (FAILED_PRECONDITION naming the reason); enabled again: creates work.
    expect(await ctl.client.call('SetHostDisabled', { host: 'reg-1', disabled: true, reason: 'maintenance' })).toMatchObject({ disabled: true, disabled_reason: 'maintenance' });
    const refused = await ctl.client.fail('CreateInstance', { name: 'r2', project_id: 'p', host: 'reg-1', domain_xml: createXml('r2'), vcpus: 1, memory_mib: 128 });
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).toMatch(/host reg-1 is disabled \(maintenance\)/);
    expect((await ctl.client.fail('SetHostDisabled', { host: 'nope', disabled: true })).code).toBe(grpc.status.NOT_FOUND);
    await ctl.client.call('SetHostDisabled', { host: 'reg-1', disabled: false });
    await ctl.client.call('CreateInstance', { name: 'r2', project_id: 'p', host: 'reg-1', domain_xml: createXml('r2'), vcpus: 1, memory_mib: 128 });

    // The agent stops: no heartbeats; down only once service_down_seconds passed without a contact.
    const dir = agent.dir;
    await agent.stop();
    clock.advance(29_000);
    expect(await hostOf(ctl, 'reg-1')).toMatchObject({ state: 'HOST_STATE_UP' });
    clock.advance(2000);
    expect(await hostOf(ctl, 'reg-1')).toMatchObject({ state: 'HOST_STATE_DOWN' });

    // Restarted (same state, another port): it registers again, is up, and is called at its new address.
    agent = await start(dir);
    await until(async () => {
      const h = await hostOf(ctl, 'reg-1');
      return h?.address === agent.address && h.state === 'HOST_STATE_UP' ? h : undefined;
    }, 'reg-1 registered again at its new address');
    // The old port is closed, so a Destroy sent there would fail UNAVAILABLE and leave the instance as it was; the test
    // driver's node starts afresh, so the new agent's Destroy finds nothing, which is success.
    expect(await ctl.client.call('DeleteInstance', { uuid: inst.uuid })).toMatchObject({ vm_state: 'VM_STATE_DELETED' });
  });

  it('refuses bad registrations with the field named, and a heartbeat of an unknown host is NOT_FOUND', async () => {
    const ctl = await startTestController({});
    cleanups.push(() => ctl.stop());
    const bad = await ctl.client.fail('RegisterHost', { name: '../x', address: '127.0.0.1:1' });
    expect([bad.code, bad.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^name: /)]);
    const badAddr = await ctl.client.fail('RegisterHost', { name: 'h', address: 'nowhere' });
    expect([badAddr.code, badAddr.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^address: /)]);
    expect((await ctl.client.fail('Heartbeat', { name: 'ghost' })).code).toBe(grpc.status.NOT_FOUND);
    // Static hosts are listed too, never heard from.
    // Its database outside the controller's dir (stop() removes that), on the suite's engine.
    const keep = tempDir('vc-reg-db-');
    cleanups.push(() => fs.rmSync(keep, { recursive: true, force: true }));
    const withStatic = await startTestController({ s1: '127.0.0.1:1' }, (c) => { if (!c.db.startsWith('postgres')) c.db = path.join(keep, 'c.db'); });
    cleanups.push(() => withStatic.stop());
    expect(await hostOf(withStatic, 's1')).toMatchObject({ static: true, last_heartbeat_ms: 0, address: '127.0.0.1:1' });
    // Dropped from --agent later: still listed, no longer driven (no creates go there).
    const db = withStatic.config.db;
    await withStatic.stop();
    const without = await startTestController({}, (c) => { c.db = db; });
    cleanups.push(() => without.stop());
    expect(await hostOf(without, 's1')).toMatchObject({ static: true });
    const refused = await without.client.fail('CreateInstance', { name: 'x', project_id: 'p', host: 's1', domain_xml: createXml('x'), vcpus: 1, memory_mib: 64 });
    expect([refused.code, refused.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^host: unknown host "s1"/)]);
  });
});

describe('registration over mutual TLS', () => {
  it('an agent whose certificate (controller\'s CA) names its host registers; one from another CA, or naming another host, does not', async () => {
    const certs = new CertDir();
    const other = new CertDir();
    const dir = tempDir('vc-reg-tls-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    await certs.make('ca', '/CN=virt test CA', undefined);
    await other.make('ca', '/CN=someone else', undefined);
    await Promise.all([
      certs.make('agent', '/CN=tls-good', 'ca', SERVER_CLIENT_EXT),
      certs.make('by-san', '/CN=agent-z', 'ca', SERVER_CLIENT_EXT.replace('DNS:localhost', 'DNS:localhost,DNS:TLS-San.example')),
      certs.make('impostor', '/CN=agent-a', 'ca', SERVER_CLIENT_EXT),
      certs.make('controller', '/CN=controller-1', 'ca', SERVER_CLIENT_EXT),
      certs.make('operator', '/CN=ops-1', 'ca', SERVER_CLIENT_EXT),
      other.make('rogue', '/CN=agent-b', 'ca', SERVER_CLIENT_EXT),
    ]);
    const cc = defaultControllerConfig();
    Object.assign(cc, {
      listen: '127.0.0.1:0', db: path.join(dir, 'controller.db'),
      tlsCert: certs.file('controller.crt'), tlsKey: certs.file('controller.key'), tlsCa: certs.file('ca.crt'),
    });
    const controller: ControllerHandle = await startController(cc, silentLogger(), { manualPeriodic: true });
    cleanups.push(() => controller.stop(500));
    const ops = new ControllerClient(`127.0.0.1:${controller.listen.port}`,
      channelCredentials({ cert: certs.file('operator.crt'), key: certs.file('operator.key'), ca: certs.file('ca.crt') }));
    cleanups.push(() => ops.close());

    const agentOn = async (name: string, cert: string, key: string, ca: string): Promise<AgentHandle> => {
      const nodeFile = path.join(dir, `${name}.xml`);
      fs.writeFileSync(nodeFile, nodeXml());
      const ac = defaultConfig();
      Object.assign(ac, {
        listen: '127.0.0.1:0', libvirtUri: `test://${nodeFile}`, stateDir: path.join(dir, `${name}-state`),
        instancesPath: path.join(dir, `${name}-instances`), nfsMountBase: path.join(dir, `${name}-mnt`),
        tlsCert: cert, tlsKey: key, tlsCa: ca, controllers: [`127.0.0.1:${controller.listen.port}`], hostName: name, reportIntervalSeconds: 1,
      });
      const a = await startAgent(ac, silentLogger(), { requireLibvirt: true });
      cleanups.push(() => a.stop(500));
      return a;
    };
    const good = await agentOn('tls-good', certs.file('agent.crt'), certs.file('agent.key'), certs.file('ca.crt'));
    const bySan = await agentOn('tls-san.example', certs.file('by-san.crt'), certs.file('by-san.key'), certs.file('ca.crt'));
    const registered = await until(async () => ((await hostOf({ client: ops }, 'tls-good'))?.state === 'HOST_STATE_UP' ? true : undefined), 'tls-good registered');
    expect(registered).toBe(true);
    expect(await hostOf({ client: ops }, 'tls-good')).toMatchObject({ address: `127.0.0.1:${good.listen.port}` });
    await until(async () => ((await hostOf({ client: ops }, 'tls-san.example'))?.state === 'HOST_STATE_UP' ? true : undefined), 'registered by its DNS SAN');
    expect(await hostOf({ client: ops }, 'tls-san.example')).toMatchObject({ address: `127.0.0.1:${bySan.listen.port}` });

    // Clients that try to register: one from another CA (its handshake is refused), and one the CA
    // signed whose certificate names another host, trying to re-point tls-good and to add a host.
    const controllerAddress = `127.0.0.1:${controller.listen.port}`;
    const attempt = (name: string, cert: string, key: string) => {
      const r = startRegistration({
        controllers: [controllerAddress], intervalMs: 100, maxBackoffMs: 200, logger: silentLogger(),
        credentials: channelCredentials({ cert, key, ca: certs.file('ca.crt') }),
        info: () => Promise.resolve({ name, address: '127.0.0.1:1', libvirt_uri: 'test:///default', libvirt_version: '1', agent_version: 'x', vcpus: 1, memory_mib: 1 }),
      });
      cleanups.push(() => r.stop());
      return r;
    };
    const rogue = attempt('tls-rogue', other.file('rogue.crt'), other.file('rogue.key'));
    const repoint = attempt('tls-good', certs.file('impostor.crt'), certs.file('impostor.key'));
    const added = attempt('tls-new', certs.file('impostor.crt'), certs.file('impostor.key'));
    await until(async () => ([rogue, repoint, added].every((r) => r.failures(controllerAddress).count >= 2) ? true : undefined), 'two refused attempts each');
    for (const r of [repoint, added]) {
      expect(r.registered(controllerAddress)).toBe(false);
      expect(r.failures(controllerAddress).lastError).toMatch(/PERMISSION_DENIED|7 /);
      expect(r.failures(controllerAddress).lastError).toContain('/CN=agent-a');
    }
    expect(rogue.registered(controllerAddress)).toBe(false);
    expect(await hostOf({ client: ops }, 'tls-rogue')).toBeUndefined();
    expect(await hostOf({ client: ops }, 'tls-new')).toBeUndefined();
    expect(await hostOf({ client: ops }, 'tls-good')).toMatchObject({ address: `127.0.0.1:${good.listen.port}`, state: 'HOST_STATE_UP' });
    // An operator's certificate does not speak for a host either.
    const denied = await ops.fail('Heartbeat', { name: 'tls-good' });
    expect([denied.code, denied.details]).toEqual([grpc.status.PERMISSION_DENIED, expect.stringContaining('does not name host "tls-good"')]);
  });
});
