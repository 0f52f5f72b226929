// The wire contract's types come from proto/ (src/generated, by
// scripts/proto-types.js with the loader's own options), so what the compiler
// checks is what grpc-js really hands over. The @ts-expect-error lines below
// are checked by `npm run typecheck` (tsconfig.test.json): a misspelt method
// or field must not compile.
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { AgentApi } from '../../src/controller/agent-client';
import { LOADER_OPTIONS } from '../../src/grpc/protos';

const ROOT = path.resolve(__dirname, '..', '..');

describe('generated types', () => {
  it('are generated with the flags the loader decodes with', () => {
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'proto-types.js'), 'utf8');
    const flags = /LOADER_FLAGS = \[([^\]]*)\]/.exec(script)![1]!.split(',').map((f) => f.trim().replace(/^'|'$/g, ''));
    const expected = Object.entries(LOADER_OPTIONS).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${typeof v === 'function' ? v.name : String(v)}`));
    expect(flags.sort()).toEqual(expected.sort());
  });

  it('a misspelt agent method or request field does not compile', async () => {
    const calls: string[] = [];
    const agents = { call: async (_h: string, m: string) => { calls.push(m); return {}; } } as unknown as AgentApi;
    const opts = { deadlineMs: 1000, idempotent: true };
    await agents.call('h', 'PowerOff', { domain: { uuid: 'u' }, timeout_seconds: 5 }, opts);
    // @ts-expect-error -- no such field
    await agents.call('h', 'PowerOff', { domain: { uuid: 'u' }, timeout_secs: 5 }, opts);
    // @ts-expect-error -- no such method
    await agents.call('h', 'PowerOf', {}, opts);
    // @ts-expect-error -- a server-streaming method is not a unary call
    await agents.call('h', 'WatchEvents', {}, opts);
    expect(calls).toEqual(['PowerOff', 'PowerOff', 'PowerOf', 'WatchEvents']);
  });
});
