// The machinery every instance operation shares: claim the instance with a
// compare-and-swap (and open its action record) in one transaction, talk to
// the agent, then complete with a second compare-and-swap from the claimed
// state (and close the action record) in one transaction.
import { AppError, Conflict, errorMessage, FailedPrecondition, isAppError } from '../errors';
import type { Logger } from '../logging';
import type { AgentMethod, AgentRequest, AgentResponse } from '../grpc/contract';
import { isAgentError, type AgentApi, type CallOptions } from './agent-client';
import type { Liveness } from './liveness';
import type { Quota } from './quota';
import type { InstanceChange, Store } from './store';
import type { InstanceRow, PowerState, RequestContext } from './types';
import { attachmentsOf } from './volumes';

export interface ServiceConfig {
  /** 0 = DeleteInstance deletes at once. */
  reclaimIntervalSeconds: number;
  /** PowerOff's clean-shutdown budget for soft delete and stop. */
  cleanShutdownTimeoutSeconds: number;
  /** PowerOn's wait for RUNNING (restore, start). */
  powerOnTimeoutSeconds: number;
  /** Deadline of DefineDomain, Destroy and DisconnectVolume calls. */
  agentTimeoutSeconds: number;
  /** Backoff of the periodic retries (reclaim, pending power-off, host cleanup, pending detach): base · 2^(n−1), at most cap. */
  retryBaseMs: number;
  retryCapMs: number;
}

/** Told of events the metrics count (no-ops when metrics are off). */
export interface ControllerHooks {
  reclaimFailed(): void;
}

export const NO_HOOKS: ControllerHooks = { reclaimFailed: () => undefined };

export interface Deps {
  store: Store;
  quota: Quota;
  agents: AgentApi;
  /** Whether a host is down (nothing succeeded with it for service_down_seconds). */
  liveness: Liveness;
  logger: Logger;
  config: ServiceConfig;
  hooks: ControllerHooks;
}

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
    const { id, attempt } = store.startAction(uuid, name, ctx);
    const agentRequestId = `${uuid}:${name}:${attempt}`;
    store.setAgentRequestId(id, agentRequestId);
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

/** Agent power state name ("POWER_STATE_SHUTOFF") → stored name. */
export function powerStateOf(res: { power_state: AgentResponse<'PowerOff'>['power_state'] } | undefined, fallback: PowerState): PowerState {
  const v = res?.power_state;
  return v !== undefined && v.startsWith('POWER_STATE_') ? (v.slice('POWER_STATE_'.length) as PowerState) : fallback;
}

/** The agent could not be reached (after retries). */
export function unreachable(err: unknown): boolean {
  return isAgentError(err) && err.unreachable;
}

/** No answer from the agent (after retries): unreachable or out of time, so whether it acted is unknown. */
export function noAnswer(err: unknown): boolean {
  return isAgentError(err) && err.noAnswer;
}

/**
 * The agent answered and said it did nothing (the request was refused before
 * any change): NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION.
 */
export function refusedByAgent(err: unknown): boolean {
  if (!isAgentError(err)) return false;
  const kind = err.toAppError().kind;
  return kind === 'NotFound' || kind === 'InvalidArgument' || kind === 'FailedPrecondition';
}

/** The agent answered NOT_FOUND (no such domain). */
export function agentNotFound(err: unknown): boolean {
  return isAgentError(err) && err.toAppError().kind === 'NotFound';
}

/** Backoff of the periodic retries: base · 2^(attempts−1), at most cap. */
export function retryDelayMs(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/**
 * The PowerOn request of a restore or start. One place, so what PowerOn
 * needs from the records (e.g. the instance's volumes) is added once.
 */
export function powerOnRequest(deps: Deps, row: InstanceRow, agentRequestId: string): AgentRequest<'PowerOn'> {
  // The host side of its volumes may be gone (a host reboot): the agent connects the attached ones first.
  const volumes = attachmentsOf(deps.store.volumesOf(row.uuid).filter((v) => v.status === 'in-use'));
  return { domain: { uuid: row.uuid }, wait_timeout_seconds: deps.config.powerOnTimeoutSeconds, request_id: agentRequestId, volumes };
}

/** PowerOn with its deadline; never retried (not idempotent in its effect on a running guest's timing). */
export function powerOn(deps: Deps, row: InstanceRow, agentRequestId: string): Promise<AgentResponse<'PowerOn'>> {
  return agentCall(deps, row.host, 'PowerOn', powerOnRequest(deps, row, agentRequestId),
    { deadlineMs: waitDeadlineMs(deps.config.powerOnTimeoutSeconds), idempotent: false });
}

/** PowerOff with the clean-shutdown budget (soft delete, stop, a pending power-off); idempotent. */
export function powerOff(deps: Deps, row: InstanceRow, agentRequestId: string): Promise<AgentResponse<'PowerOff'>> {
  const timeout = deps.config.cleanShutdownTimeoutSeconds;
  return agentCall(deps, row.host, 'PowerOff', { domain: { uuid: row.uuid }, timeout_seconds: timeout, request_id: agentRequestId },
    { deadlineMs: waitDeadlineMs(timeout), idempotent: true });
}

/** A short reason for the row's error column and the action record. */
export function reason(err: unknown): string {
  return errorMessage(err).slice(0, 2000);
}

/**
 * The error the client sees for a failed agent call. The agent's INVALID_ARGUMENT
 * is about what the controller sent on the client's behalf: it stays
 * INVALID_ARGUMENT only where the client supplied that input (`clientField`).
 */
export function clientError(err: unknown, what: string, clientField?: string): AppError {
  if (isAgentError(err)) {
    const e = err.toAppError(`${what}: `);
    if (e.kind === 'InvalidArgument' && clientField === undefined) return new FailedPrecondition(e.message, { cause: err });
    if (e.kind === 'InvalidArgument') return new AppError('InvalidArgument', `${clientField}: ${e.message}`, { cause: err, field: clientField });
    return e;
  }
  if (isAppError(err)) return err;
  return new AppError('Internal', `${what}: ${errorMessage(err)}`, { cause: err });
}

export function agentCall<M extends AgentMethod>(deps: Deps, host: string, method: M, req: AgentRequest<M>, opts: CallOptions)
  : Promise<AgentResponse<M>> {
  return deps.agents.call(host, method, req, opts);
}

export const seconds = (s: number): number => s * 1000;

/** Deadline for a call whose agent-side wait is `waitSeconds`: the wait plus a margin. */
export function waitDeadlineMs(waitSeconds: number): number {
  return seconds(waitSeconds + 30);
}
