#!/usr/bin/env node
// virtctl: the operator's client for both services. Any RPC by name, request
// as JSON (argument, @file or stdin), response as JSON on stdout; a failed call
// prints its gRPC status on stderr and exits with the status code.
//   virtctl agent GetDomain '{"domain":{"name":"web-1"}}'
//   virtctl --address 127.0.0.1:50052 controller DeleteInstance '{"uuid":"..."}'
//   virtctl agent WatchEvents            (streams until Ctrl-C)
import fs from 'node:fs';

import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';

import { AGENT_PROTO, AGENT_SERVICE, CONTROLLER_PROTO, CONTROLLER_SERVICE } from '../grpc/contract';
import { loadProtos } from '../grpc/protos';
import { nameOf } from '../enums';
import { parseListenAddress } from '../grpc/server';
import { packageVersion } from './version';

const SERVICES = {
  agent: { file: AGENT_PROTO, name: AGENT_SERVICE, address: '127.0.0.1:50051' },
  controller: { file: CONTROLLER_PROTO, name: CONTROLLER_SERVICE, address: '127.0.0.1:50052' },
} as const;

/** One method of either service: JSON in, the decoded message out (both services' definitions are generated, see contract.ts). */
type AnyMethod = grpc.MethodDefinition<unknown, unknown>;

function readRequest(arg: string | undefined): unknown {
  let text = arg ?? '{}';
  if (arg === '-') text = fs.readFileSync(0, 'utf8');
  else if (arg?.startsWith('@')) text = fs.readFileSync(arg.slice(1), 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`request is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

function target(address: string): string {
  const a = parseListenAddress(address);
  return a.kind === 'unix' ? `unix:${a.path}` : address;
}

function credentials(opts: { tlsCert?: string; tlsKey?: string; tlsCa?: string }): grpc.ChannelCredentials {
  if (!opts.tlsCa) return grpc.credentials.createInsecure();
  const read = (f: string | undefined) => (f ? fs.readFileSync(f) : undefined);
  return grpc.credentials.createSsl(read(opts.tlsCa), read(opts.tlsKey), read(opts.tlsCert));
}

async function main(): Promise<number> {
  const program = new Command('virtctl')
    .description('call virt-agent or virt-controller: virtctl agent|controller METHOD [JSON | @file | -]')
    .version(packageVersion())
    .argument('<service>', 'agent or controller')
    .argument('[method]', 'RPC name, e.g. GetDomain; omit to list the methods')
    .argument('[request]', 'request as JSON, @file, or - for stdin (default {})')
    .option('--address <addr>', 'HOST:PORT or unix:///path (default 127.0.0.1:50051 / :50052)')
    .option('--timeout <seconds>', 'deadline of a unary call', '120')
    .option('--tls-ca <file>', 'CA bundle: use TLS')
    .option('--tls-cert <file>', 'client certificate (mTLS)')
    .option('--tls-key <file>', 'client key (mTLS)')
    .parse();
  const [serviceName, method, request] = program.args as [string, string | undefined, string | undefined];
  const opts = program.opts<{ address?: string; timeout: string; tlsCa?: string; tlsCert?: string; tlsKey?: string }>();
  const svc = (SERVICES as Partial<Record<string, (typeof SERVICES)[keyof typeof SERVICES]>>)[serviceName];
  if (!svc) throw new Error(`service must be "agent" or "controller", not ${JSON.stringify(serviceName)}`);

  const protos = loadProtos([svc.file]);
  const definition: Partial<Record<string, AnyMethod>> = protos.serviceDefinition(svc.name);
  const methods = Object.keys(definition);
  if (!method) {
    process.stdout.write(`${methods.join('\n')}\n`);
    return 0;
  }
  const rpc = definition[method];
  if (!rpc) throw new Error(`${svc.name} has no method ${method} (methods: ${methods.join(', ')})`);
  const client = new grpc.Client(target(opts.address ?? svc.address), credentials(opts));
  const req = readRequest(request);

  if (rpc.responseStream) {
    const call = client.makeServerStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, req);
    process.on('SIGINT', () => call.cancel());
    return new Promise((resolve) => {
      call.on('data', (m) => process.stdout.write(`${JSON.stringify(m)}\n`));
      call.on('error', (e: grpc.ServiceError) => {
        if (e.code !== grpc.status.CANCELLED) process.stderr.write(`${nameOf(grpc.status, e.code) ?? e.code}: ${e.details}\n`);
        resolve(e.code === grpc.status.CANCELLED ? 0 : e.code);
      });
      call.on('end', () => resolve(0));
    });
  }
  const deadline = Date.now() + Number(opts.timeout) * 1000;
  return new Promise((resolve) => {
    client.makeUnaryRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, req, { deadline }, (err, res) => {
      if (err) {
        process.stderr.write(`${nameOf(grpc.status, err.code) ?? err.code}: ${err.details}\n`);
        resolve(err.code || 1);
        return;
      }
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      resolve(0);
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`virtctl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
