// After a crash or kill -9: operations the journal shows as begun but never
// ended. Destroy and DisconnectVolume are idempotent and safe to finish, so
// they are run again with the same input and request id (a client retrying
// meanwhile joins that run). Power operations are not replayed — the world
// has moved on since — and are reported as interrupted.
import type { Logger } from 'pino';

import { errorMessage } from '../errors';
import { destroy, type DestroyInput } from './flows/destroy';
import { disconnectVolume, type DisconnectVolumeInput } from './flows/disconnect-volume';
import type { FlowDeps } from './flows/types';
import type { Journal, Unfinished } from './journal';
import type { Operations } from './operations';

export interface RecoveryReport {
  rolledForward: number;
  interrupted: number;
  failed: number;
}

async function rollForward(deps: FlowDeps, ops: Operations, u: Unfinished): Promise<void> {
  const { method, requestId, input, fingerprint } = u.begin;
  // The original request's fingerprint: a client retrying it joins this run.
  const opts = { requestId, ref: (input as { ref?: DestroyInput['ref'] }).ref, fingerprint };
  if (method === 'Destroy') {
    await ops.run(method, opts, (ctx) => destroy(deps, ctx, input as DestroyInput), input);
  } else {
    const i = input as DisconnectVolumeInput;
    await ops.run(method, { ...opts, key: `volume:${i.volume?.volume_id ?? ''}` }, (ctx) => disconnectVolume(deps, ctx, i), input);
  }
}

export async function recover(deps: FlowDeps, ops: Operations, journal: Journal, unfinished: Unfinished[], logger: Logger)
  : Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledForward: 0, interrupted: 0, failed: 0 };
  await Promise.all(unfinished.map(async (u) => {
    const { id, method, requestId, target } = u.begin;
    const log = logger.child({ op: method, request_id: requestId, target, recovered: true });
    const rollable = method === 'Destroy' || method === 'DisconnectVolume';
    // Close the old record first: the re-run journals itself under a new id.
    await journal.append({
      t: 'end', id, ok: false, error: rollable ? 'interrupted; rolled forward after restart' : 'interrupted by agent restart',
      at: new Date().toISOString(),
    });
    if (!rollable) {
      report.interrupted++;
      log.warn({ steps_done: u.steps.map((s) => s.name) }, `${method} was interrupted by an agent restart; not replayed`);
      return;
    }
    try {
      await rollForward(deps, ops, u);
      report.rolledForward++;
      log.info('interrupted operation completed after restart');
    } catch (err) {
      report.failed++;
      log.error({ err: errorMessage(err) }, 'interrupted operation could not be completed');
    }
  }));
  return report;
}
