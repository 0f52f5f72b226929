// The controller with mutual TLS on both sides: its own port requires client
// certificates, and it presents the same certificate to an agent whose
// allow-list names it. Certificates are made at test time by openssl.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAgent, type AgentHandle } from '../../src/agent/agent';
import { defaultConfig } from '../../src/agent/config';
import { startController, type ControllerHandle } from '../../src/controller/controller';
import { defaultControllerConfig } from '../../src/controller/config';
import { channelCredentials } from '../../src/grpc/tls';
import { silentLogger } from '../../src/logging';
import { codeName, errorOf, grpcPackage } from '../helpers/agent-client';
import { CertDir, CLIENT_EXT, SERVER_CLIENT_EXT, SERVER_EXT } from '../helpers/certs';
import { ControllerClient, createXml, nodeXml, tempDir } from './controller-helpers';
let certs: CertDir;
let agent: AgentHandle;
let controller: ControllerHandle;
let dir: string;
const clients: ControllerClient[] = [];

function client(name: string | undefined): ControllerClient {
  const creds = name
    ? channelCredentials({ cert: certs.file(`${name}.crt`), key: certs.file(`${name}.key`), ca: certs.file('ca.crt') })
    : grpc.credentials.createSsl(fs.readFileSync(certs.file('ca.crt')));
  const c = new ControllerClient(`127.0.0.1:${controller.listen.port}`, creds);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  certs = new CertDir();
  dir = tempDir('vc-tls-');
  await certs.make('ca', '/CN=virt test CA', undefined);
  await Promise.all([
    certs.make('agent', '/CN=agent-host-a', 'ca', SERVER_EXT),
    certs.make('controller', '/CN=controller-1', 'ca', SERVER_CLIENT_EXT),
    certs.make('operator', '/CN=ops-1', 'ca', CLIENT_EXT),
  ]);
  const nodeFile = path.join(dir, 'node.xml');
  fs.writeFileSync(nodeFile, nodeXml());
  const ac = defaultConfig();
  Object.assign(ac, {
    listen: '127.0.0.1:0', libvirtUri: `test://${nodeFile}`, stateDir: path.join(dir, 'state'),
    instancesPath: path.join(dir, 'instances'), nfsMountBase: path.join(dir, 'mnt'),
    tlsCert: certs.file('agent.crt'), tlsKey: certs.file('agent.key'), tlsCa: certs.file('ca.crt'),
    tlsAllowSubjects: ['controller-1'],
  });
  agent = await startAgent(ac, silentLogger(), { requireLibvirt: true });

  const cc = defaultControllerConfig();
  Object.assign(cc, {
    listen: '127.0.0.1:0', db: path.join(dir, 'controller.db'),
    hosts: new Map([['host-a', `127.0.0.1:${agent.listen.port}`]]),
    tlsCert: certs.file('controller.crt'), tlsKey: certs.file('controller.key'), tlsCa: certs.file('ca.crt'),
    cleanShutdownTimeoutSeconds: 5,
  });
  controller = await startController(cc, silentLogger(), { manualPeriodic: true });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await controller?.stop(1000);
  await agent?.stop(1000);
  certs?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('controller over mutual TLS', () => {
  it('serves a client with a CA-signed certificate and reaches the agent with its own', async () => {
    const ops = client('operator');
    // x-user is metadata any caller can set: with TLS the action log takes the certificate's subject instead.
    const inst = await ops.call('CreateInstance', {
      name: 'tls-1', project_id: 'p1', host: 'host-a', domain_xml: createXml('tls-1'), vcpus: 1, memory_mib: 256,
    }, { 'x-user': 'someone-else' });
    expect(inst).toMatchObject({ vm_state: 'VM_STATE_ACTIVE', power_state: 'POWER_STATE_RUNNING' });
    // The domain really exists on the agent's libvirt: the controller's mTLS call went through.
    const deleted = await ops.call('ForceDeleteInstance', { uuid: inst.uuid }, { 'x-user': 'root' });
    expect(deleted).toMatchObject({ vm_state: 'VM_STATE_DELETED' });
    const { actions } = await ops.call('ListInstanceActions', { uuid: inst.uuid });
    expect(actions.map((a: { user: string }) => a.user)).toEqual(['/CN=ops-1', '/CN=ops-1']);
  });

  it('refuses a client without a certificate', async () => {
    const e = await errorOf(client(undefined).call('ListInstances', {}, {}, 5000));
    expect(codeName(e.code)).toBe('UNAVAILABLE');
  });

  it('refuses plaintext', async () => {
    const plain = new ControllerClient(`127.0.0.1:${controller.listen.port}`);
    clients.push(plain);
    const e = await errorOf(plain.call('ListInstances', {}, {}, 5000));
    expect(codeName(e.code)).toBe('UNAVAILABLE');
  });

  it('the agent refuses a certificate its allow-list does not name', async () => {
    const pkg = grpcPackage();
    const creds = channelCredentials({ cert: certs.file('operator.crt'), key: certs.file('operator.key'), ca: certs.file('ca.crt') });
    const stub = new pkg.virtagent.v1.HostAgent(`127.0.0.1:${agent.listen.port}`, creds);
    const e = await errorOf(new Promise((resolve, reject) => stub.GetHostInfo({}, { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, r: unknown) => (err ? reject(err) : resolve(r)))));
    stub.close();
    expect(codeName(e.code)).toBe('PERMISSION_DENIED');
  });
});
