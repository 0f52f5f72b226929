// virtctl, the operator CLI, as a real process against a real agent.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, startTestAgent, type TestAgent } from '../helpers/agent-client';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'virtctl.js');

function virtctl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

let ta: TestAgent;
beforeAll(async () => {
  ta = await startTestAgent();
});
afterAll(() => ta?.close());

describe('virtctl', () => {
  it('lists the methods of a service', async () => {
    const r = await virtctl(['agent']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['PowerOff', 'Destroy', 'DisconnectVolume']));
  });

  it('calls a method with a JSON argument, a file or stdin and prints the response', async () => {
    const r = await virtctl(['--address', ta.target, 'agent', 'GetDomain', '{"domain":{"name":"db-1"}}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'db-1', power_state: 'POWER_STATE_SHUTOFF' });
    const viaStdin = await virtctl(['--address', ta.target, 'agent', 'PowerOff', '-'], '{"domain":{"name":"web-1"},"timeout_seconds":0}');
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({ clean: false, power_state: 'POWER_STATE_SHUTOFF' });
  });

  it('exits with the gRPC status code and prints the status on stderr', async () => {
    const r = await virtctl(['--address', ta.target, 'agent', 'GetDomain', '{"domain":{"name":"nope"}}']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("NOT_FOUND: domain 'nope' not found");
  });

  it('prints the package version with --version', async () => {
    const r = await virtctl(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('refuses bad usage with exit 2', async () => {
    expect((await virtctl(['agent', 'GetDomain', '{not json'])).code).toBe(2);
    expect((await virtctl(['agent', 'NoSuchMethod'])).stderr).toContain('has no method NoSuchMethod');
    expect((await virtctl(['nova'])).code).toBe(2);
  });
});
