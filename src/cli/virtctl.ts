#!/usr/bin/env node
// virtctl: the operator's client for both services. Verbs that read like the
// job (src/cli/virtctl/verbs.ts), tables for people, -o json for scripts, and
// the raw form (any RPC by name, request as JSON, response as JSON):
//   virtctl stop web-1 --timeout 30           virtctl instances list
//   virtctl agent GetDomain '{"domain":{"name":"web-1"}}'
// A failed call prints its gRPC status on stderr and exits with the status
// code; a usage or local error exits 2.
import * as grpc from '@grpc/grpc-js';
import { Command, CommanderError, Option } from 'commander';

import { nameOf } from '../enums';
import { packageVersion } from './version';
import { CallError, readRequest, SERVICES, ServiceClient, type ConnectionOptions, type ServiceName } from './virtctl/rpc';
import * as verbs from './virtctl/verbs';

interface GlobalOptions extends ConnectionOptions {
  output?: string;
}

const outputOption = () => new Option('-o, --output <format>', 'table (for people) or json (for scripts)').choices(['table', 'json']);

async function raw(service: ServiceName, method: string | undefined, request: string | undefined, opts: GlobalOptions): Promise<void> {
  const client = new ServiceClient(service, opts);
  try {
    if (!method) {
      process.stdout.write(`${Object.keys(client.methods).join('\n')}\n`);
      return;
    }
    const rpc = client.method(method);
    const req = readRequest(request);
    if (rpc.responseStream) {
      const s = client.stream(method, req, (m) => process.stdout.write(`${JSON.stringify(m)}\n`));
      process.on('SIGINT', () => s.cancel());
      await s.done;
      return;
    }
    process.stdout.write(`${JSON.stringify(await client.unary(method, req), null, 2)}\n`);
  } finally {
    client.close();
  }
}

function main(argv: string[]): Promise<void> {
  const program = new Command('virtctl')
    .description('drive virt-agent and virt-controller: verbs for people, or any RPC by name (virtctl agent|controller METHOD [JSON])')
    .version(packageVersion())
    .enablePositionalOptions()
    .option('--address <addr>', `HOST:PORT or unix:///path (default ${SERVICES.agent.address} / ${SERVICES.controller.address}; env ${SERVICES.agent.env} / ${SERVICES.controller.env})`)
    .option('--timeout <seconds>', 'deadline of a call (long operations get their own budget plus a margin)', '120')
    .option('--tls-ca <file>', 'CA bundle: use TLS')
    .option('--tls-cert <file>', 'client certificate (mTLS)')
    .option('--tls-key <file>', 'client key (mTLS)')
    .addOption(outputOption())
    // Usage errors exit 2 like virtctl's other own errors (commander's default would be 1).
    .exitOverride();
  program.showHelpAfterError();

  const run = (service: ServiceName, cmd: Command, f: (client: ServiceClient, io: verbs.Io) => Promise<void>) => {
    const opts = { ...program.opts<GlobalOptions>(), ...cmd.opts<{ output?: string }>() };
    const client = new ServiceClient(service, opts);
    const io: verbs.Io = {
      out: process.stdout,
      progress: process.stderr.isTTY ? process.stderr : undefined,
      json: (opts.output ?? 'table') === 'json',
      now: () => performance.now(),
    };
    return f(client, io).finally(() => client.close());
  };

  for (const service of ['agent', 'controller'] as const) {
    program.command(`${service} [method] [request]`)
      .description(`call any ${SERVICES[service].name} RPC: request as JSON, @file or - (default {}); no method: list them`)
      .action((method: string | undefined, request: string | undefined) => raw(service, method, request, program.opts<GlobalOptions>()));
  }

  program.command('stop <domain>')
    .description('clean shutdown (guest agent, then ACPI), re-sent every --retry seconds, destroyed when --timeout passes (agent PowerOff); live progress on a terminal')
    .option('--timeout <seconds>', 'clean-shutdown budget; 0 destroys at once (default: the agent\'s, 60)')
    .option('--retry <seconds>', 'interval between shutdown requests (default: the agent\'s, 10)')
    .addOption(outputOption())
    .action((domain: string, o: { timeout?: string; retry?: string }, cmd: Command) => run('agent', cmd, (c, io) => verbs.stop(c, io, domain, o)));
  program.command('destroy <domain>')
    .description('destroy and undefine a domain (agent Destroy); --disks also removes what provably belongs to it')
    .option('--disks', 'remove its own disks and instance directory (the ownership rule)')
    .addOption(outputOption())
    .action((domain: string, o: { disks?: boolean }, cmd: Command) => run('agent', cmd, (c, io) => verbs.destroy(c, io, domain, o)));
  program.command('detach <domain> <dev>')
    .description('detach a volume from the guest and disconnect its host side (agent DisconnectVolume); the volume is read from the domain\'s disk unless --connection-info')
    .option('--volume-id <id>', 'the volume\'s id, for messages (default: the device name)')
    .option('--connection-info <json>', 'the volume\'s connection_info, e.g. {"driver_volume_type":"iscsi","data":{...}}')
    .option('--ignore-errors', 'report failures as warnings and succeed')
    .addOption(outputOption())
    .action((domain: string, dev: string, o: { volumeId?: string; connectionInfo?: string; ignoreErrors?: boolean }, cmd: Command) =>
      run('agent', cmd, (c, io) => verbs.detach(c, io, domain, dev, o)));
  program.command('domains')
    .description('the agent\'s domains (agent ListDomains)')
    .addOption(outputOption())
    .action((_o: unknown, cmd: Command) => run('agent', cmd, (c, io) => verbs.domains(c, io)));

  const instances = program.command('instances').description('the controller\'s instances');
  instances.command('list')
    .description('list instances (ListInstances)')
    .option('--project <id>', 'only this project')
    .option('--host <name>', 'only this host')
    .option('--state <state>', 'only this state: active, stopped, soft-deleted, deleted, error')
    .addOption(outputOption())
    .action((o: { project?: string; host?: string; state?: string }, cmd: Command) => run('controller', cmd, (c, io) => verbs.instancesList(c, io, o)));
  for (const [action, what] of [
    ['delete', 'soft delete (restorable until the reclaim), or at once without a reclaim interval (DeleteInstance)'],
    ['restore', 'bring a soft-deleted instance back (RestoreInstance)'],
    ['force-delete', 'hard delete now: destroy with its disks, detach its volumes (ForceDeleteInstance)'],
  ] as const) {
    const cmd = instances.command(`${action} <instance>`).description(`${what}; by uuid or name`);
    if (action === 'force-delete') cmd.option('--force', 'end deleted in the records whatever the agent says (its errors become warnings)');
    cmd.addOption(outputOption())
      .action((instance: string, o: { force?: boolean }, c: Command) => run('controller', c, (client, io) => verbs.instanceAction(client, io, action, instance, o)));
  }
  program.command('hosts')
    .description('the hosts the controller drives')
    .addOption(outputOption())
    .action((_o: unknown, cmd: Command) => run('controller', cmd, (c, io) => verbs.hosts(c, io)));

  return program.parseAsync(argv).then(() => undefined);
}

main(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2); // commander printed it
    if (err instanceof CallError) {
      process.stderr.write(`${nameOf(grpc.status, err.code) ?? err.code}: ${err.details}\n`);
      process.exit(err.code);
    }
    process.stderr.write(`virtctl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
