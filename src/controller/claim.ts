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
export type Decide = (row: InstanceRow) => InstanceChange | null | Promise<InstanceChange | null>;

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
export async function claim(deps: Deps, uuid: string, ctx: RequestContext, action: string | (() => string), decide: Decide): Promise<ClaimResult> {
  const { store } = deps;
  const result = await store.tx(async (): Promise<ClaimResult> => {
    // Locked until the transaction ends: a replica claiming the same row waits and then sees this claim.
    const before = await store.requireInstanceForUpdate(uuid);
    const change = await decide(before);
    if (change === null) return { ignored: before };
    // The task's lease: restart recovery on another replica leaves the row alone until it expires.
    const leased: InstanceChange = { ...change, lease_owner: deps.replica.id, lease_expires_at: store.clock.now() + deps.replica.taskLeaseMs };
    const row = await store.casRow(uuid, { vm: [before.vm_state], task: [before.task_state] }, leased);
    // Cannot be lost with the row locked; kept as a guard.
    if (!row) throw new Conflict(`instance ${uuid} changed concurrently; retry`);
    const name = typeof action === 'string' ? action : action();
    const { id, agentRequestId } = await store.startAgentAction(uuid, name, ctx);
    return { claimed: { row, before, actionId: id, action: name, requestId: ctx.requestId, agentRequestId } };
  });
  // Renewed while the task runs, given back by complete().
  if ('claimed' in result) deps.leases?.hold(uuid);
  return result;
}

/**
 * One transaction: swap `change` in from the claimed state, run `also`, and
 * close the action record. Returns the row after it. A lost swap (something
 * broke the claim) is logged and leaves the row alone.
 */
export async function complete(
  deps: Deps, c: Claim, change: InstanceChange, result: 'success' | 'error', message?: string, also?: () => Promise<void>,
): Promise<InstanceRow> {
  const { store } = deps;
  const row = await store.tx(async () => {
    const swapped = await store.casRow(c.row.uuid, { vm: [c.row.vm_state], task: [c.row.task_state] }, { ...change, lease_owner: null, lease_expires_at: null });
    if (swapped) await also?.();
    else deps.logger.error({ uuid: c.row.uuid, expected: [c.row.vm_state, c.row.task_state] }, 'instance left its claimed state; completion skipped');
    await store.finishAction(c.actionId, result, message);
    // `also` may change the row again (quota, volumes' cleanup flags): read it then.
    return swapped && !also ? swapped : store.requireInstance(c.row.uuid);
  }).finally(() => deps.leases?.release(c.row.uuid));
  deps.logger[result === 'success' ? 'info' : 'warn']({
    uuid: row.uuid, host: row.host, action: c.action, request_id: c.requestId, agent_request_id: c.agentRequestId || undefined,
    result, vm_state: row.vm_state, task_state: row.task_state, message,
  }, `instance ${c.action} ${result === 'success' ? 'done' : 'failed'}`);
  return row;
}
