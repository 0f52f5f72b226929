// Mutual TLS on the agent's gRPC port, with certificates made at test time by
// the openssl CLI: a CA, a server certificate for 127.0.0.1/localhost, client
// certificates from that CA and one from another CA. Without a client
// certificate, or with one from the wrong CA, the handshake fails; with the
// allow-list, a CA-signed certificate whose subject is not listed gets
// PERMISSION_DENIED on every service. Plus the plaintext rules of listen().
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAgent } from '../../src/agent/agent';
import { defaultConfig, resolveConfig } from '../../src/agent/config';
import { loadProtos } from '../../src/grpc/protos';
import { createServer, listen } from '../../src/grpc/server';
import { channelCredentials, parseAllowSubjects, parseSubjectAltName, serverCredentials } from '../../src/grpc/tls';
import { silentLogger } from '../../src/logging';
import { codeName, errorOf, grpcPackage, makeTestNode, startTestAgent, type Msg, type TestAgent } from '../helpers/agent-client';
import { CertDir, CLIENT_EXT } from '../helpers/certs';

let certs: CertDir;
const file = (name: string) => certs.file(name);
const makeCert = (name: string, subject: string, ca: string | undefined, ext: string) => certs.make(name, subject, ca, ext);

function clientCreds(name: string): grpc.ChannelCredentials {
  return channelCredentials({ cert: file(`${name}.crt`), key: file(`${name}.key`), ca: file('ca.crt') });
}

/** One GetHostInfo (or health Check) call with these credentials; resolves to OK or the status code name. */
async function callWith(target: string, creds: grpc.ChannelCredentials, what: 'agent' | 'health' = 'agent'): Promise<string> {
  const pkg = grpcPackage();
  const client: grpc.Client & Msg = what === 'agent'
    ? new pkg.virtagent.v1.HostAgent(target, creds)
    : new pkg.grpc.health.v1.Health(target, creds);
  try {
    const p = new Promise<Msg>((resolve, reject) => {
      const method = what === 'agent' ? 'GetHostInfo' : 'Check';
      client[method]({}, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
    });
    try {
      await p;
      return 'OK';
    } catch {
      const e = await errorOf(p);
      return codeName(e.code);
    }
  } finally {
    client.close();
  }
}

let open: TestAgent;
let allowList: TestAgent;

beforeAll(async () => {
  certs = new CertDir();
  await makeCert('ca', '/CN=virt-agent test CA', undefined, '');
  await makeCert('other-ca', '/CN=some other CA', undefined, '');
  await Promise.all([
    makeCert('server', '/CN=virt-agent-server', 'ca',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'),
    makeCert('controller', '/O=virt-test/CN=controller-1', 'ca', `${CLIENT_EXT}subjectAltName=DNS:controller-1\n`),
    makeCert('sole-cn', '/CN=controller-1', 'ca', CLIENT_EXT),
    // Two CNs, the last one the listed name: must not pass as "controller-1".
    makeCert('double-cn', '/CN=intruder/CN=controller-1', 'ca', CLIENT_EXT),
    makeCert('other-org', '/O=elsewhere/CN=controller-1', 'ca', CLIENT_EXT),
    makeCert('san-other', '/CN=controller-1', 'ca', `${CLIENT_EXT}subjectAltName=DNS:intruder\n`),
    makeCert('ops', '/O=virt-test/CN=ops-2', 'ca', CLIENT_EXT),
    makeCert('ops-no-org', '/CN=ops-2', 'ca', CLIENT_EXT),
    makeCert('intruder', '/O=virt-test/CN=intruder', 'ca', CLIENT_EXT),
    makeCert('foreign', '/O=virt-test/CN=controller-1', 'other-ca', CLIENT_EXT),
  ]);
  const tls = (allow: string[]) => (cfg: typeof open.config) => {
    cfg.tlsCert = file('server.crt');
    cfg.tlsKey = file('server.key');
    cfg.tlsCa = file('ca.crt');
    cfg.tlsAllowSubjects = allow;
  };
  open = await startTestAgent({ config: tls([]), overrides: { requireLibvirt: true } });
  // Also the non-loopback case: with TLS, 0.0.0.0 is accepted.
  allowList = await startTestAgent({
    config: (cfg) => {
      tls(['controller-1', '/O=virt-test/CN=ops-2'])(cfg);
      cfg.listen = '0.0.0.0:0';
      cfg.metricsListen = '127.0.0.1:0';
    },
    overrides: { requireLibvirt: true },
  });
}, 60_000);

afterAll(async () => {
  await open?.close();
  await allowList?.close();
  certs.remove();
});

describe('mutual TLS', () => {
  it('serves a client with a certificate from the CA', async () => {
    expect(await callWith(open.target, clientCreds('controller'))).toBe('OK');
    expect(await callWith(open.target, clientCreds('intruder'))).toBe('OK');
    expect(await callWith(open.target, clientCreds('controller'), 'health')).toBe('OK');
  });

  it('refuses a client without a certificate', async () => {
    const creds = grpc.credentials.createSsl(fs.readFileSync(file('ca.crt')));
    expect(await callWith(open.target, creds)).toBe('UNAVAILABLE');
  });

  it('refuses a client certificate from another CA, even with an allowed CN', async () => {
    expect(await callWith(open.target, clientCreds('foreign'))).toBe('UNAVAILABLE');
    expect(await callWith(allowList.target, clientCreds('foreign'))).toBe('UNAVAILABLE');
  });

  it('refuses plaintext clients on the TLS port', async () => {
    expect(await callWith(open.target, grpc.credentials.createInsecure())).toBe('UNAVAILABLE');
  });

  it('a client that does not trust the server CA does not connect', async () => {
    const creds = channelCredentials({ cert: file('controller.crt'), key: file('controller.key'), ca: file('other-ca.crt') });
    expect(await callWith(open.target, creds)).toBe('UNAVAILABLE');
  });
});

describe('subject allow-list', () => {
  it('listens on 0.0.0.0 with TLS', () => {
    expect(allowList.config.listen).toBe('0.0.0.0:0');
    expect(allowList.agent.listen.port).toBeGreaterThan(0);
  });

  it('serves listed names and subjects: a bare name as SAN entry or as the whole subject, a full subject', async () => {
    expect(await callWith(allowList.target, clientCreds('controller'))).toBe('OK'); // SAN DNS:controller-1
    expect(await callWith(allowList.target, clientCreds('sole-cn'))).toBe('OK'); // subject exactly /CN=controller-1
    expect(await callWith(allowList.target, clientCreds('san-other'))).toBe('OK'); // the subject is; the SAN need not be
    expect(await callWith(allowList.target, clientCreds('ops'))).toBe('OK');
  });

  it('refuses CA-signed certificates whose subject is not listed with PERMISSION_DENIED, on every service', async () => {
    expect(await callWith(allowList.target, clientCreds('intruder'))).toBe('PERMISSION_DENIED');
    expect(await callWith(allowList.target, clientCreds('intruder'), 'health')).toBe('PERMISSION_DENIED');
    // Same CN as a listed full subject, but not the same subject.
    expect(await callWith(allowList.target, clientCreds('ops-no-org'))).toBe('PERMISSION_DENIED');
  });

  it('never matches "some CN": /CN=intruder/CN=controller-1 and /O=elsewhere/CN=controller-1 are not controller-1', async () => {
    expect(await callWith(allowList.target, clientCreds('double-cn'))).toBe('PERMISSION_DENIED');
    expect(await callWith(allowList.target, clientCreds('other-org'))).toBe('PERMISSION_DENIED');
  });

  it('counts refused calls in the metrics', async () => {
    await callWith(allowList.target, clientCreds('intruder'));
    const text = await (await fetch(`http://127.0.0.1:${allowList.agent.metrics!.port}/metrics`)).text();
    expect(text).toMatch(/virt_agent_grpc_requests_total\{service="virtagent\.v1\.HostAgent",method="GetHostInfo",code="PERMISSION_DENIED"\} [1-9]/);
  });

  it('parses entries and rejects ambiguous ones', () => {
    expect(parseAllowSubjects(['a', ' /O=x/CN=b ', ''])).toEqual([{ cn: 'a' }, { subject: [['O', 'x'], ['CN', 'b']] }]);
    expect(() => parseAllowSubjects(['CN=a'])).toThrow(/--tls-allow-subjects: "CN=a": give a bare name/);
    expect(parseSubjectAltName('DNS:a.example, IP Address:127.0.0.1, URI:"spiffe://x/a, b", email:o@x'))
      .toEqual([['DNS', 'a.example'], ['IP Address', '127.0.0.1'], ['URI', 'spiffe://x/a, b'], ['email', 'o@x']]);
    expect(() => parseAllowSubjects(['/CN'])).toThrow(/expected \/KEY=value/);
  });
});

describe('configuration and start-up errors', () => {
  it('flags, environment and file set the TLS and metrics settings', () => {
    const cfg = resolveConfig({
      flags: { tlsAllowSubjects: 'controller-1, /O=virt-test/CN=ops-2', plaintextLoopback: 'true' },
      env: { VIRT_AGENT_METRICS_LISTEN: '127.0.0.1:9477', VIRT_AGENT_TLS_CERT: '/etc/virt-agent/tls.crt' },
      file: { tlsKey: '/etc/virt-agent/tls.key', tlsCa: '/etc/virt-agent/ca.crt', tlsAllowSubjects: ['x'] },
    });
    expect(cfg).toMatchObject({
      tlsCert: '/etc/virt-agent/tls.crt', tlsKey: '/etc/virt-agent/tls.key', tlsCa: '/etc/virt-agent/ca.crt',
      tlsAllowSubjects: ['controller-1', '/O=virt-test/CN=ops-2'], plaintextLoopback: true, metricsListen: '127.0.0.1:9477',
    });
    // Secure by default: plaintext TCP only when asked for.
    expect(defaultConfig()).toMatchObject({ plaintextLoopback: false, metricsListen: '', tlsAllowSubjects: [] });
    expect(() => resolveConfig({ flags: { plaintextLoopback: 'maybe' }, env: {} })).toThrow(/plaintextLoopback must be true or false/);
  });

  it('file errors name the flag', () => {
    const good = { cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt') };
    expect(() => serverCredentials({ ...good, cert: file('missing.crt') })).toThrow(/^--tls-cert .*missing\.crt: cannot read the file \(ENOENT\)/);
    expect(() => serverCredentials({ ...good, key: file('controller.key') })).toThrow(/^--tls-key .*controller\.key: the key does not belong to the certificate in --tls-cert/);
    expect(() => serverCredentials({ ...good, ca: file('server.key') })).toThrow(/^--tls-ca .*: no PEM certificate/);
    expect(() => serverCredentials({ ...good, key: file('ca.crt') })).toThrow(/^--tls-key .*: not an unencrypted PEM private key/);
  });

  async function startFails(set: (cfg: ReturnType<typeof defaultConfig>) => void): Promise<string> {
    const node = makeTestNode('virt-agent-tls-cfg-');
    const cfg = defaultConfig();
    Object.assign(cfg, { libvirtUri: node.uri, stateDir: node.stateDir, instancesPath: node.instancesPath, listen: '127.0.0.1:0', plaintextLoopback: true });
    set(cfg);
    try {
      const agent = await startAgent(cfg, silentLogger(), { requireLibvirt: true });
      await agent.stop(1000);
      return 'started';
    } catch (err) {
      return (err as Error).message;
    } finally {
      fs.rmSync(node.dir, { recursive: true, force: true });
    }
  }

  it('an incomplete TLS configuration or an allow-list without TLS fails the start', async () => {
    expect(await startFails((c) => { c.tlsCert = file('server.crt'); })).toMatch(/--tls-cert, --tls-key and --tls-ca go together.*missing --tls-key, --tls-ca/);
    expect(await startFails((c) => { c.tlsAllowSubjects = ['a']; })).toMatch(/--tls-allow-subjects needs mutual TLS/);
    expect(await startFails((c) => { c.plaintextLoopback = false; })).toMatch(/--listen: refusing plaintext gRPC on 127\.0\.0\.1:0: plaintext TCP needs --plaintext-loopback true/);
    expect(await startFails((c) => { c.listen = '0.0.0.0:0'; })).toMatch(/--listen: refusing plaintext gRPC on non-loopback address 0\.0\.0\.0:0/);
  });
});

describe('listen() plaintext rules', () => {
  const protos = loadProtos(['virtagent/v1/agent.proto']);

  async function tryListen(address: string, creds?: grpc.ServerCredentials, plaintextLoopback?: boolean): Promise<string> {
    const srv = createServer(protos, []);
    try {
      await listen(srv.server, address, creds, { plaintextLoopback });
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    } finally {
      srv.server.forceShutdown();
    }
  }

  it('refuses plaintext TCP off loopback, allows it on loopback unless plaintextLoopback is false', async () => {
    expect(await tryListen('0.0.0.0:0')).toMatch(/refusing plaintext gRPC on non-loopback address/);
    expect(await tryListen('[::]:0')).toMatch(/refusing plaintext gRPC on non-loopback address/);
    expect(await tryListen('127.0.0.1:0')).toBe('ok');
    expect(await tryListen('127.0.0.1:0', undefined, false)).toMatch(/plaintext TCP needs --plaintext-loopback true/);
    // A unix socket is not TCP: still allowed.
    expect(await tryListen(`unix://${path.join(certs.dir, 'run', 'a.sock')}`, undefined, false)).toBe('ok');
  });

  it('accepts any address with TLS credentials', async () => {
    const creds = serverCredentials({ cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt') });
    expect(creds._isSecure()).toBe(true);
    const withAllowList = serverCredentials({ cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt'), allowSubjects: ['x'] });
    expect(withAllowList._isSecure()).toBe(true);
    expect(await tryListen('0.0.0.0:0', creds, false)).toBe('ok');
    expect(await tryListen('127.0.0.1:0', withAllowList, false)).toBe('ok');
  });
});
