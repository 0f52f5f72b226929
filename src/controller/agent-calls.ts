// Every call the controller makes to a host's agent, typed by the generated
// contract: the request built from the records, its deadline and whether it
// may be retried; and what an agent's failure means for the records (no
// answer, refused, not found) and for the client.
import { AppError, errorMessage, FailedPrecondition, isAppError } from '../errors';
import type { VolumeAttachment } from '../generated/virtagent/v1';
import type { AgentResponse } from '../grpc/contract';
import { isAgentError } from './agent-client';
import type { Deps } from './deps';
import { parseConnectionInfo, type InstanceRow, type PowerState, type VolumeRow } from './types';

export const seconds = (s: number): number => s * 1000;

/** Deadline for a call whose agent-side wait is `waitSeconds`: the wait plus a margin. */
export function waitDeadlineMs(waitSeconds: number): number {
  return seconds(waitSeconds + 30);
}

/** The deadline of the calls without a wait of their own, and whether they may be retried. */
function agentTimeout(deps: Deps, idempotent: boolean): { deadlineMs: number; idempotent: boolean } {
  return { deadlineMs: seconds(deps.config.agentTimeoutSeconds), idempotent };
}

/** A volume as the agent's requests carry it. */
export function attachmentOf(v: VolumeRow): VolumeAttachment {
  const info = parseConnectionInfo(v.connection_info);
  return { volume_id: v.id, target_dev: v.target_dev ?? '', ...(info ? { connection_info: info } : {}) };
}

/** Every attached volume (any status but available) with connection info, for Destroy. */
export function attachmentsOf(volumes: VolumeRow[]): VolumeAttachment[] {
  return volumes.filter((v) => v.status !== 'available' && v.connection_info !== null).map(attachmentOf);
}

/** PowerOff with the clean-shutdown budget (soft delete, stop, a pending power-off); idempotent. */
export function powerOff(deps: Deps, row: InstanceRow, agentRequestId: string): Promise<AgentResponse<'PowerOff'>> {
  const timeout = deps.config.cleanShutdownTimeoutSeconds;
  return deps.agents.call(row.host, 'PowerOff', { domain: { uuid: row.uuid }, timeout_seconds: timeout, request_id: agentRequestId },
    { deadlineMs: waitDeadlineMs(timeout), idempotent: true });
}

/**
 * PowerOn of a restore or start, never retried (not idempotent in its effect
 * on a running guest's timing). The host side of the instance's volumes may
 * be gone (a host reboot): the agent connects the attached ones first.
 */
export async function powerOn(deps: Deps, row: InstanceRow, agentRequestId: string): Promise<AgentResponse<'PowerOn'>> {
  const volumes = attachmentsOf((await deps.store.volumesOf(row.uuid)).filter((v) => v.status === 'in-use'));
  return deps.agents.call(row.host, 'PowerOn', {
    domain: { uuid: row.uuid }, wait_timeout_seconds: deps.config.powerOnTimeoutSeconds, request_id: agentRequestId, volumes,
  }, { deadlineMs: waitDeadlineMs(deps.config.powerOnTimeoutSeconds), idempotent: false });
}

/** Destroy with the instance's disks and the given volumes (a hard delete, the reclaim, a host cleanup); idempotent. */
export function destroy(deps: Deps, host: string, uuid: string, volumes: VolumeAttachment[], agentRequestId: string)
  : Promise<AgentResponse<'Destroy'>> {
  return deps.agents.call(host, 'Destroy', { domain: { uuid }, destroy_disks: true, volumes, request_id: agentRequestId },
    agentTimeout(deps, true));
}

/**
 * DisconnectVolume: from the instance's domain (`uuid`), or host-only with
 * ignore_errors (an administrator's force detach); idempotent.
 */
export function disconnectVolume(deps: Deps, host: string, vol: VolumeRow, agentRequestId: string, from: { uuid: string } | 'host-only')
  : Promise<AgentResponse<'DisconnectVolume'>> {
  const req = from === 'host-only'
    ? { volume: attachmentOf(vol), ignore_errors: true, request_id: agentRequestId }
    : { domain: { uuid: from.uuid }, volume: attachmentOf(vol), request_id: agentRequestId };
  return deps.agents.call(host, 'DisconnectVolume', req, agentTimeout(deps, true));
}

/** GetDomain (which disks the guest still has); idempotent. */
export function getDomain(deps: Deps, host: string, uuid: string): Promise<AgentResponse<'GetDomain'>> {
  return deps.agents.call(host, 'GetDomain', { domain: { uuid } }, agentTimeout(deps, true));
}

/** GetHostInfo (the host's instances path); idempotent. */
export function hostInfo(deps: Deps, host: string): Promise<AgentResponse<'GetHostInfo'>> {
  return deps.agents.call(host, 'GetHostInfo', {}, agentTimeout(deps, true));
}

/** DefineDomain, started; never retried (a second define of the same XML would clash). */
export function defineDomain(deps: Deps, host: string, xml: string): Promise<AgentResponse<'DefineDomain'>> {
  return deps.agents.call(host, 'DefineDomain', { xml, start: true }, agentTimeout(deps, false));
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

/**
 * Says how the host failed to act: "host h1 did not answer", or, when the
 * agent itself answered UNAVAILABLE or DEADLINE_EXCEEDED (libvirt down,
 * storage stalled), "host h1 could not act now (UNAVAILABLE)".
 */
export function silence(err: unknown, host: string): string {
  return isAgentError(err) ? err.silence : `host ${host} did not answer`;
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
