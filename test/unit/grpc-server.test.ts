// Listening (unix socket and TCP rules), error-to-status mapping through real
// calls, shutdown, and the logger factory.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError, type ErrorKind } from '../../src/errors';
import { loadProtos } from '../../src/grpc/protos';
import { createServer, isLoopbackHost, listen, parseListenAddress, shutdown, type GrpcServer } from '../../src/grpc/server';
import { serverStreaming, toGrpcStatus, unary, type CallObserver } from '../../src/grpc/status';
import { createLogger, parseLogLevel, silentLogger } from '../../src/logging';

const AGENT = 'virtagent.v1.HostAgent';
const protos = loadProtos(['virtagent/v1/agent.proto']);
const pkg = grpc.loadPackageDefinition(protos.packageDefinition) as any;
const KINDS: Array<[ErrorKind, grpc.status]> = [
  ['NotFound', grpc.status.NOT_FOUND],
  ['InvalidArgument', grpc.status.INVALID_ARGUMENT],
  ['Conflict', grpc.status.ABORTED],
  ['FailedPrecondition', grpc.status.FAILED_PRECONDITION],
  ['ResourceExhausted', grpc.status.RESOURCE_EXHAUSTED],
  ['Unavailable', grpc.status.UNAVAILABLE],
  ['Timeout', grpc.status.DEADLINE_EXCEEDED],
  ['Internal', grpc.status.INTERNAL],
];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grpcsrv-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function plainServer(): GrpcServer {
  return createServer(protos, [{ name: AGENT, implementation: { GetHostInfo: unary(async () => ({ hostname: 'h1' })) } }]);
}

function getHostInfo(target: string): Promise<Record<string, unknown>> {
  const client = new pkg.virtagent.v1.HostAgent(target, grpc.credentials.createInsecure());
  return new Promise<Record<string, unknown>>((resolve, reject) =>
    client.GetHostInfo({}, (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))),
  ).finally(() => client.close());
}

describe('listen addresses', () => {
  it('parses unix and TCP forms', () => {
    expect(parseListenAddress('unix:///run/virt-agent/agent.sock')).toEqual({ kind: 'unix', path: '/run/virt-agent/agent.sock' });
    expect(parseListenAddress('unix:/run/a.sock')).toEqual({ kind: 'unix', path: '/run/a.sock' });
    expect(parseListenAddress('127.0.0.1:50051')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 50051 });
    expect(parseListenAddress('[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
    expect(parseListenAddress(':50051')).toEqual({ kind: 'tcp', host: '', port: 50051 });
    for (const bad of ['unix:relative.sock', 'localhost', '127.0.0.1:99999', '::1:5', 'host:port']) {
      expect(() => parseListenAddress(bad), bad).toThrow(/--listen/);
    }
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['', '0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('TCP', () => {
  it('serves on a random loopback port', async () => {
    const srv = plainServer();
    try {
      const { port } = await listen(srv.server, '127.0.0.1:0');
      expect(port).toBeGreaterThan(0);
      expect(await getHostInfo(`127.0.0.1:${port}`)).toMatchObject({ hostname: 'h1' });
    } finally {
      await shutdown(srv.server, 2000, srv.health);
    }
  });

  it('refuses plaintext on non-loopback hosts, naming --listen', async () => {
    const srv = plainServer();
    try {
      for (const address of ['0.0.0.0:0', ':0', '10.1.2.3:50051', '[::]:0']) {
        await expect(listen(srv.server, address), address).rejects.toMatchObject({ kind: 'InvalidArgument', message: expect.stringMatching(/^--listen: refusing plaintext/) });
      }
      // Passing insecure credentials explicitly is still plaintext.
      await expect(listen(srv.server, '0.0.0.0:0', grpc.ServerCredentials.createInsecure())).rejects.toThrow(/--listen/);
    } finally {
      await shutdown(srv.server, 2000);
    }
  });

  it('reports a port in use', async () => {
    const a = plainServer();
    const b = plainServer();
    try {
      const { port } = await listen(a.server, '127.0.0.1:0');
      await expect(listen(b.server, `127.0.0.1:${port}`)).rejects.toThrow(/address in use/);
    } finally {
      await shutdown(a.server, 2000);
      await shutdown(b.server, 2000);
    }
  });
});

describe('unix sockets', () => {
  it('creates the parent dir 0700 and the socket 0600, for both URI forms', async () => {
    for (const prefix of ['unix://', 'unix:']) {
      const dir = path.join(tmp, `made-${prefix.length}`, 'run');
      const sock = path.join(dir, 'agent.sock');
      const srv = plainServer();
      try {
        expect(await listen(srv.server, `${prefix}${sock}`)).toEqual({ target: `unix:${sock}`, socketPath: sock });
        expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
        expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
        expect(fs.statSync(path.dirname(dir)).mode & 0o777).toBe(0o700);
        expect(await getHostInfo(`unix:${sock}`)).toMatchObject({ hostname: 'h1' });
      } finally {
        await shutdown(srv.server, 2000);
      }
    }
  });

  it('leaves the umask as it was', async () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- reading the umask is what this test is about
    const before = process.umask();
    const srv = plainServer();
    try {
      await listen(srv.server, `unix:${path.join(tmp, 'umask.sock')}`);
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
      expect(process.umask()).toBe(before);
    } finally {
      await shutdown(srv.server, 2000);
    }
  });

  it('replaces a stale socket left by a killed process', async () => {
    const sock = path.join(tmp, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('ready'))`]);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => resolve());
      child.on('error', reject);
      child.on('exit', () => reject(new Error('listener exited early')));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(fs.lstatSync(sock).isSocket()).toBe(true);

    const srv = plainServer();
    try {
      await listen(srv.server, `unix://${sock}`);
      expect(await getHostInfo(`unix:${sock}`)).toMatchObject({ hostname: 'h1' });
    } finally {
      await shutdown(srv.server, 2000);
    }
  });

  it('refuses a socket something is listening on, and a non-socket file', async () => {
    const sock = path.join(tmp, 'live.sock');
    const other = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => other.listen(sock, resolve));
    const srv = plainServer();
    try {
      await expect(listen(srv.server, `unix://${sock}`)).rejects.toThrow(/address in use/);
      expect(fs.lstatSync(sock).isSocket()).toBe(true);
      const file = path.join(tmp, 'plain-file');
      fs.writeFileSync(file, 'keep me');
      await expect(listen(srv.server, `unix://${file}`)).rejects.toThrow(/not a socket/);
      expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    } finally {
      await new Promise((resolve) => other.close(resolve));
      await shutdown(srv.server, 2000);
    }
  });
});

describe('status mapping', () => {
  const observed: Array<[string, grpc.status, number]> = [];
  let onObserved: (() => void) | undefined;
  const observer: CallObserver = (method, code, ms) => {
    observed.push([method, code, ms]);
    onObserved?.();
  };
  /** Resolves at the next observer call (it runs once the handler settles). */
  const nextObservation = (): Promise<void> => new Promise((resolve) => (onObserved = resolve));
  let srv: GrpcServer;
  let client: any;
  let handlerSignal: AbortSignal | undefined;

  beforeAll(async () => {
    srv = createServer(protos, [
      {
        name: AGENT,
        implementation: {
          // The domain name says what to throw.
          GetDomain: unary(async (call: grpc.ServerUnaryCall<any, any>) => {
            const name: string = call.request.domain.name;
            if (name === 'ok') return { name, id: -1 };
            if (name === 'plain') throw new Error('plain failure');
            if (name === 'string') throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error -- a handler throwing a non-Error is the case tested  
            throw new AppError(name as ErrorKind, `${name} happened`);
          }, observer),
          // Runs until cancelled or past its deadline.
          GetHostInfo: unary(async (_call, signal) => {
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
            return {};
          }, observer),
          // Throws synchronously, before any await.
          ListDomains: unary(((): Promise<never> => {
            throw new AppError('Unavailable', 'libvirt down');
          }) as any, observer),
          WatchEvents: serverStreaming(async (call: grpc.ServerWritableStream<any, any>, signal) => {
            handlerSignal = signal;
            call.write({ domain_name: 'vm1' });
            if (call.request.domain?.name === 'fail') throw new AppError('NotFound', 'domain vm9 not found');
            // Runs until the client cancels.
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
          }, observer),
        },
      },
    ]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    client = new pkg.virtagent.v1.HostAgent(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await shutdown(srv.server, 2000, srv.health);
  });
  afterEach(() => {
    observed.length = 0;
  });

  const getDomain = (name: string): Promise<any> =>
    new Promise((resolve, reject) => client.GetDomain({ domain: { name } }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));

  it.each(KINDS)('%s -> %s', async (kind, code) => {
    await expect(getDomain(kind)).rejects.toMatchObject({ code, details: `${kind} happened` });
    expect(observed).toEqual([['/virtagent.v1.HostAgent/GetDomain', code, expect.any(Number)]]);
  });

  it('success is OK; other errors are INTERNAL with their message and no stack', async () => {
    expect(await getDomain('ok')).toMatchObject({ name: 'ok', id: -1 });
    await expect(getDomain('plain')).rejects.toMatchObject({ code: grpc.status.INTERNAL, details: 'plain failure' });
    await expect(getDomain('string')).rejects.toMatchObject({ code: grpc.status.INTERNAL, details: 'a string' });
    expect(observed.map(([, c]) => c)).toEqual([grpc.status.OK, grpc.status.INTERNAL, grpc.status.INTERNAL]);
    expect(observed.every(([, , ms]) => ms >= 0)).toBe(true);
    expect(toGrpcStatus(new TypeError('x')).details).not.toMatch(/\n\s+at /);
  });

  it('a synchronous throw is mapped too', async () => {
    await expect(new Promise((resolve, reject) => client.ListDomains({}, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: 'libvirt down',
    });
  });

  it('a failing stream delivers what was written, then the mapped status', async () => {
    const stream = client.WatchEvents({ domain: { name: 'fail' } });
    const got: any[] = [];
    stream.on('data', (e: any) => got.push(e));
    const err = await new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    expect(got.map((e) => e.domain_name)).toEqual(['vm1']);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'domain vm9 not found' });
    expect(observed).toEqual([['/virtagent.v1.HostAgent/WatchEvents', grpc.status.NOT_FOUND, expect.any(Number)]]);
  });

  it('a client cancel aborts the handler signal and is observed as CANCELLED', async () => {
    const stream = client.WatchEvents({});
    stream.on('error', () => undefined);
    await new Promise((resolve) => stream.once('data', resolve));
    const aborted = new Promise((resolve) => handlerSignal!.addEventListener('abort', resolve));
    const observation = nextObservation();
    stream.cancel();
    await aborted;
    await observation;
    expect(observed).toEqual([['/virtagent.v1.HostAgent/WatchEvents', grpc.status.CANCELLED, expect.any(Number)]]);
  });

  it('a passed client deadline aborts the handler and is observed as DEADLINE_EXCEEDED', async () => {
    const observation = nextObservation();
    const call = new Promise((resolve, reject) =>
      client.GetHostInfo({}, { deadline: Date.now() + 100 }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
    );
    await expect(call).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await observation;
    expect(observed).toEqual([['/virtagent.v1.HostAgent/GetHostInfo', grpc.status.DEADLINE_EXCEEDED, expect.any(Number)]]);
  });
});

describe('shutdown', () => {
  it('forces calls still running after the deadline', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const srv = createServer(protos, [
      {
        name: AGENT,
        implementation: {
          GetHostInfo: unary(async (_call, signal) => {
            started();
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
            return {};
          }),
        },
      },
    ]);
    const { port } = await listen(srv.server, '127.0.0.1:0');
    const call = getHostInfo(`127.0.0.1:${port}`);
    call.catch(() => undefined);
    await running;
    expect(await shutdown(srv.server, 100, srv.health)).toBe('forced');
    await expect(call).rejects.toMatchObject({ code: expect.any(Number) });
  });
});

describe('logging', () => {
  function capture(): { lines: () => any[]; stream: Writable } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  }

  it('writes JSON lines with service, level label and child fields', () => {
    const out = capture();
    const log = createLogger({ service: 'virt-agent', level: 'info', destination: out.stream });
    log.debug('hidden');
    log.child({ flow: 'power-off' }).info({ elapsedMs: 5 }, 'stopped');
    const [line, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ service: 'virt-agent', level: 'info', flow: 'power-off', elapsedMs: 5, msg: 'stopped' });
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
  });

  it('has a silent logger and validates levels', () => {
    expect(silentLogger().isLevelEnabled('fatal')).toBe(false);
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow(/log level/);
  });
});
