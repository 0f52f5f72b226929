// README works as written: every grpcurl / virtctl command in README.md's sh
// blocks (except blocks marked <!-- not on the demo: why -->) and in the
// banner scripts/run.sh prints runs against that demo (run.sh itself, on free
// ports) and exits 0 — with the real grpcurl (../shared/tools/grpcurl; that
// half skips, saying so, without it), and always through virtctl (each grpcurl
// command translated to `virtctl agent|controller Method JSON`, each virtctl
// command as printed). The only edits to a command: the demo's ports and
// directory, and UUID replaced by the uuid the CreateInstance before it returned.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../helpers/agent-client';
import { startDemo, type Demo } from '../helpers/demo';
import { GRPCURL, GRPCURL_MISSING } from '../helpers/grpcurl';

const STREAMING = /WatchEvents/;
const COMMAND = /^(grpcurl|virtctl|node dist\/cli\/virtctl\.js|[AC]=)/;
/** Lines later commands depend on: variables, and the virtctl function for a checkout. */
const DEFINITION = /^([AC]=|virtctl\(\) \{)/;

/** Commands of README's sh blocks, continuation lines joined (a trailing \ or an open single quote). */
export function readmeCommands(markdown: string): string[] {
  const lines = markdown.split('\n');
  const commands: string[] = [];
  let inBlock = false;
  let skip = false;
  let pending = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      if (!inBlock) {
        let p = i - 1;
        while (p >= 0 && lines[p]!.trim() === '') p--;
        skip = !line.startsWith('```sh') || (p >= 0 && lines[p]!.startsWith('<!-- not on the demo'));
      }
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock || skip) continue;
    if (pending === '' && (line.trim().startsWith('#') || line.trim() === '')) continue;
    pending = pending === '' ? line : `${pending}\n${line}`;
    const openQuote = (pending.match(/'/g) ?? []).length % 2 === 1;
    if (openQuote || pending.endsWith('\\')) continue;
    if (COMMAND.test(pending.trim())) commands.push(pending.trim());
    pending = '';
  }
  return commands;
}

/** Commands of run.sh's banner. */
export function bannerCommands(banner: string): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const raw of banner.split('\n')) {
    const line = raw.replace(/^\s*Or with the bundled CLI:\s*/, '').trim();
    pending = pending === '' ? line : `${pending}\n${line}`;
    if (pending.endsWith('\\')) continue;
    if (/^(grpcurl|node dist\/cli\/virtctl\.js|virtctl) /.test(pending)) commands.push(pending);
    pending = '';
  }
  return commands;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bash(script: string, env: NodeJS.ProcessEnv, streaming: boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // A stream runs until Ctrl-C: still running (no error) after 1.5 s is what the README promises.
    const timer = streaming ? setTimeout(() => { try { process.kill(-child.pid!, 'SIGINT'); } catch { /* ended */ } }, 1500) : undefined;
    const kill = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* ended */ } }, 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(kill);
      resolve({ code: streaming && (signal === 'SIGINT' || code === 130 || code === 0) && stderr === '' ? 0 : code, stdout, stderr });
    });
  });
}

/** argv of a grpcurl command line, as bash splits it. */
function grpcurlArgv(command: string, assignments: string[]): string[] {
  const r = spawnSync('bash', ['-c', `grpcurl() { printf '%s\\0' "$@"; }\n${assignments.join('\n')}\n${command}`], { encoding: 'utf8' });
  return r.stdout.split('\0').slice(0, -1);
}

/** The same call through virtctl's raw form. */
function asVirtctl(command: string, assignments: string[], controllerAddress: string): string {
  const argv = grpcurlArgv(command, assignments);
  const d = argv.indexOf('-d');
  const json = d >= 0 ? argv[d + 1]! : '{}';
  const target = argv.at(-1)!;
  if (target === 'list') return `node dist/cli/virtctl.js ${argv.includes(controllerAddress) ? 'controller' : 'agent'}`;
  const [svc, method] = target.split('/') as [string, string];
  const service = svc.startsWith('virtagent.') ? 'agent' : 'controller';
  return `node dist/cli/virtctl.js ${service} ${method} '${json.replace(/'/g, `'\\''`)}'`;
}

class Session {
  readonly assignments: string[] = [];
  uuid: string | undefined;
  readonly ran: Array<{ command: string; run: Run }> = [];

  constructor(private readonly demo: Demo, private readonly bin: string) {}

  private edit(command: string): string {
    let c = command.replaceAll('127.0.0.1:50051', this.demo.agent).replaceAll('127.0.0.1:50052', this.demo.controller)
      .replaceAll('/tmp/virt-agent-demo', this.demo.dir);
    if (this.uuid !== undefined) c = c.replaceAll('"UUID"', `"${this.uuid}"`).replace(/ UUID(\s|$)/g, ` ${this.uuid}$1`);
    return c;
  }

  async run(original: string, viaVirtctl: boolean): Promise<void> {
    const edited = this.edit(original);
    if (DEFINITION.test(edited)) {
      this.assignments.push(edited.replace(/\s+#.*$/, ''));
      return;
    }
    const command = viaVirtctl && edited.startsWith('grpcurl') ? asVirtctl(edited, this.assignments, this.demo.controller) : edited;
    const env = {
      ...process.env, PATH: `${this.bin}:${process.env.PATH ?? ''}`,
      VIRTCTL_AGENT_ADDRESS: this.demo.agent, VIRTCTL_CONTROLLER_ADDRESS: this.demo.controller,
    };
    const run = await bash(`${this.assignments.join('\n')}\n${command}`, env, STREAMING.test(command));
    this.ran.push({ command, run });
    expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
    if (/CreateInstance/.test(command)) this.uuid = (JSON.parse(run.stdout) as { uuid: string }).uuid;
  }
}

function binDir(): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-bin-'));
  if (GRPCURL) fs.symlinkSync(path.resolve(GRPCURL), path.join(bin, 'grpcurl'));
  return bin;
}

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README commands', () => {
  let bin: string;
  beforeAll(() => { bin = binDir(); });
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

  it('are found: grpcurl and virtctl commands for both services, the banner\'s too', () => {
    const commands = readmeCommands(README);
    expect(commands.filter((c) => c.startsWith('grpcurl')).length).toBeGreaterThan(15);
    expect(commands.some((c) => c.includes('HardReboot'))).toBe(true);
    expect(commands.some((c) => /^virtctl (stop|destroy|detach|instances|hosts)/.test(c))).toBe(true);
  });

  for (const via of ['virtctl', 'grpcurl'] as const) {
    it.skipIf(via === 'grpcurl' && !GRPCURL)(`run on the demo, ${via === 'grpcurl' ? 'with the real grpcurl' : 'through virtctl'}${via === 'grpcurl' && !GRPCURL ? ` (skipped: ${GRPCURL_MISSING})` : ''}`, async () => {
      // README first (its story: agent examples, volumes, the controller's soft delete, virtctl), then the banner on a fresh demo.
      let demo = await startDemo();
      try {
        const s = new Session(demo, bin);
        for (const c of readmeCommands(README)) await s.run(c, via === 'virtctl');
        expect(s.ran.length).toBeGreaterThan(20);
        const banner = bannerCommands(demo.banner);
        await demo.stop();
        demo = await startDemo();
        const b = new Session(demo, bin);
        expect(banner.length).toBeGreaterThan(8);
        for (const c of bannerCommands(demo.banner)) await b.run(c, via === 'virtctl');
        expect(b.ran.some((r) => r.command.includes('PowerOn'))).toBe(true);
      } finally {
        await demo.stop();
      }
    }, 240_000);
  }
});
