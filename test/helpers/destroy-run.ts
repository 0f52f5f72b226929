// Running the Destroy flow on a test env (agent-deps.ts), for the Destroy
// tests (flow-destroy*.test.ts): the input with defaults, the result and the
// steps it recorded.
import { destroy, type DestroyInput } from '../../src/agent/flows/destroy';
import type { ScriptedRunner } from './scripted-runner';
import { makeEnv, type EnvOptions, type TestEnv } from './agent-deps';

/** Destroy's input for `uuid`: no disks removed, NVRAM not kept, no volumes, unless `over` says so. */
export function destroyInput(uuid: string, over: Partial<DestroyInput> = {}): DestroyInput {
  return { ref: { uuid }, destroyDisks: false, keepNvram: false, volumes: [], ...over };
}

/** Runs Destroy of `uuid` on `env` with a fresh context. */
export async function runDestroy(env: TestEnv, uuid: string, over: Partial<DestroyInput> = {}) {
  const ctx = env.ctx();
  const result = await destroy(env.deps, ctx, destroyInput(uuid, over));
  return { result, steps: ctx.steps.steps };
}

/** A test env with these domains (and runner, when given). */
export function destroyEnv(domains: EnvOptions['domains'], runner?: ScriptedRunner): Promise<TestEnv> {
  return makeEnv({ domains, ...(runner ? { runner } : {}) });
}
