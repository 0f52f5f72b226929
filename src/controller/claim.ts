// The machinery every instance operation shares: claim the instance with a
// compare-and-swap (and open its action record) in one transaction, talk to
// the agent, then complete with a second compare-and-swap from the claimed
// state (and close the action record) in one transaction.
import { Conflict, FailedPrecondition } from '../errors';
import type { Deps } from './deps';
import type { InstanceChange } from './store';
import type { InstanceRow, RequestContext } from './types';

export interface Claim {
  /** The row as claimed (with the claim's task state). */
  row: InstanceRow;
  /** The row before the claim. */
  before: InstanceRow;
  actionId: number;
  action: string;
  /** The client's request id (or the periodic task's). */
  requestId: string;
  /** Deterministic: uuid:action:attempt, so retries of one attempt dedupe at the agent. */
  agentRequestId: string;
}

export type ClaimResult = { claimed: Claim } | { ignored: InstanceRow };

/** What `decide` returns: the change to claim with, or null to leave the instance alone. */
export type Decide = (row: InstanceRow) => InstanceChange | null;

/** "instance X is active (task powering_off)" for FAILED_PRECONDITION messages. */
export function describe(row: InstanceRow): string {
  return `instance ${row.uuid} is ${row.vm_state}${row.task_state === 'none' ? '' : ` (task ${row.task_state} in progress)`}`;
}

export function precondition(row: InstanceRow, why: string): FailedPrecondition {
  return new FailedPrecondition(`${describe(row)}: ${why}`);
}

/**
 * One transaction: read the row, let `decide` check it (throwing
 * FAILED_PRECONDITION / RESOURCE_EXHAUSTED leaves everything unchanged), swap
 * in its change from exactly the state read, and open the action record.
 */
export function claim(deps: Deps, uuid: string, ctx: RequestContext, action: string | (() => string), decide: Decide): ClaimResult {
  const { store } = deps;
  return store.tx((): ClaimResult => {
    const before = store.requireInstance(uuid);
    const change = decide(before);
    if (change === null) return { ignored: before };
    if (!store.cas(uuid, { vm: [before.vm_state], task: [before.task_state] }, change)) {
      // Cannot happen inside an IMMEDIATE transaction; kept as a guard.
      throw new Conflict(`instance ${uuid} changed concurrently; retry`);
    }
    const name = typeof action === 'string' ? action : action();
    const { id, agentRequestId } = store.startAgentAction(uuid, name, ctx);
    return { claimed: { row: store.requireInstance(uuid), before, actionId: id, action: name, requestId: ctx.requestId, agentRequestId } };
  });
}

/**
 * One transaction: swap `change` in from the claimed state, run `also`, and
 * close the action record. Returns the row after it. A lost swap (something
 * broke the claim) is logged and leaves the row alone.
 */
export function complete(
  deps: Deps, c: Claim, change: InstanceChange, result: 'success' | 'error', message?: string, also?: () => void,
): InstanceRow {
  const { store } = deps;
  const row = store.tx(() => {
    const ok = store.cas(c.row.uuid, { vm: [c.row.vm_state], task: [c.row.task_state] }, change);
    if (ok) also?.();
    else deps.logger.error({ uuid: c.row.uuid, expected: [c.row.vm_state, c.row.task_state] }, 'instance left its claimed state; completion skipped');
    store.finishAction(c.actionId, result, message);
    return store.requireInstance(c.row.uuid);
  });
  deps.logger[result === 'success' ? 'info' : 'warn']({
    uuid: row.uuid, host: row.host, action: c.action, request_id: c.requestId, agent_request_id: c.agentRequestId || undefined,
    result, vm_state: row.vm_state, task_state: row.task_state, message,
  }, `instance ${c.action} ${result === 'success' ? 'done' : 'failed'}`);
  return row;
}
