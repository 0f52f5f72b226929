// execFileRunner against real processes, and the ScriptedRunner test double's
// own contract (it must fail loudly, or the volume tests prove nothing).
import { describe, expect, it } from 'vitest';
import { CommandError, execFileRunner } from '../../src/agent/exec';
import { AppError } from '../../src/errors';
import { ScriptedRunner } from '../helpers/scripted-runner';

describe('execFileRunner', () => {
  const runner = execFileRunner();

  it('passes arguments literally (no shell) and returns stdout', async () => {
    const r = await runner.run('echo', ['a  b', '$(id -u)', ';', '*']);
    expect(r).toEqual({ stdout: 'a  b $(id -u) ; *\n', stderr: '', code: 0 });
  });

  it('feeds input on stdin', async () => {
    expect((await runner.run('cat', [], { input: 'hello\n' })).stdout).toBe('hello\n');
  });

  it('non-zero exit → CommandError with cmd, args, code, stderr', async () => {
    const err = await runner.run('ls', ['/nonexistent-virt-agent']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'Internal', cmd: 'ls', args: ['/nonexistent-virt-agent'], code: 2 });
    expect((err as CommandError).stderr).toContain('No such file');
  });

  it('exit codes listed in okCodes resolve', async () => {
    expect(await runner.run('false', [], { okCodes: [0, 1] })).toMatchObject({ code: 1 });
  });

  it('missing binary → CommandError with code -1', async () => {
    await expect(runner.run('virt-agent-no-such-binary', [])).rejects.toMatchObject({ kind: 'Internal', code: -1 });
  });

  it('kills the command at the timeout and throws Timeout naming it', async () => {
    const started = Date.now();
    const err = await runner.run('sleep', ['30'], { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'Timeout' });
    expect((err as Error).message).toContain('sleep 30 timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('ScriptedRunner', () => {
  it('plays back results and records calls in order', async () => {
    const r = new ScriptedRunner().expect('a', ['1'], { stdout: 'x' }).expect('b', []);
    expect((await r.run('a', ['1'])).stdout).toBe('x');
    await r.run('b', []);
    r.assertDone();
    expect(r.commands).toEqual(['a 1', 'b']);
  });

  it('fails loudly on an unexpected command, and assertDone reports it', async () => {
    const r = new ScriptedRunner().expect('a', ['1']);
    await expect(r.run('a', ['2'])).rejects.toThrow(/unexpected command\n {2}got: {6}a 2\n {2}expected: a 1/);
    expect(() => r.assertDone()).toThrow(/unexpected command[\s\S]*never ran/);
  });

  it('honours okCodes like the real runner', async () => {
    const r = new ScriptedRunner().expect('x', [], { code: 21 }).expect('x', [], { code: 21 });
    expect((await r.run('x', [], { okCodes: [0, 21] })).code).toBe(21);
    await expect(r.run('x', [])).rejects.toBeInstanceOf(CommandError);
  });
});
