// libvirt failures as a typed error, and their mapping onto the project's
// taxonomy (src/errors.ts). The binding rejects with plain Errors carrying
// code/domain/level/int1; wrap() turns those into LibvirtError.
import {
  AppError, FailedPrecondition, Internal, InvalidArgument, NotFound, Timeout, Unavailable,
} from '../errors';

/** virErrorNumber values the agent reacts to. */
export enum ErrorCode {
  OK = 0,
  INTERNAL_ERROR = 1,
  NO_SUPPORT = 3,
  NO_CONNECT = 5,
  INVALID_CONN = 6,
  INVALID_DOMAIN = 7,
  INVALID_ARG = 8,
  OPERATION_FAILED = 9,
  NO_KERNEL = 17,
  NO_ROOT = 18,
  NO_SOURCE = 19,
  NO_TARGET = 20,
  NO_NAME = 21,
  NO_OS = 22,
  NO_DEVICE = 23,
  XML_ERROR = 27,
  DOM_EXIST = 28,
  OPERATION_DENIED = 29,
  XML_DETAIL = 35,
  SYSTEM_ERROR = 38,
  RPC = 39,
  NO_DOMAIN = 42,
  INVALID_MAC = 44,
  OPERATION_INVALID = 55,
  CONFIG_UNSUPPORTED = 67,
  OPERATION_TIMEOUT = 68,
  ARGUMENT_UNSUPPORTED = 74,
  OPERATION_UNSUPPORTED = 84,
  XML_INVALID_SCHEMA = 92,
  AGENT_UNRESPONSIVE = 86,
  DEVICE_MISSING = 99,
}

export class LibvirtError extends Error {
  /** virErrorNumber */
  readonly code: number;
  /** virErrorDomain: which part of libvirt raised it */
  readonly domain: number;
  readonly level: number;
  /** errno for VIR_ERR_SYSTEM_ERROR, else -1 or driver specific */
  readonly int1: number;
  /** the libvirt call that failed, e.g. "virDomainDestroyFlags" */
  readonly call: string;

  constructor(call: string, raw: { message?: string; code?: number; domain?: number; level?: number; int1?: number }) {
    super(raw.message ?? 'libvirt call failed');
    this.name = 'LibvirtError';
    this.call = call;
    this.code = raw.code ?? ErrorCode.INTERNAL_ERROR;
    this.domain = raw.domain ?? 0;
    this.level = raw.level ?? 2;
    this.int1 = raw.int1 ?? -1;
  }

  get codeName(): string {
    return ErrorCode[this.code] ?? `CODE_${this.code}`;
  }

  is(...codes: ErrorCode[]): boolean {
    return codes.includes(this.code);
  }
}

export function isLibvirtError(err: unknown, ...codes: ErrorCode[]): err is LibvirtError {
  return err instanceof LibvirtError && (codes.length === 0 || codes.includes(err.code));
}

/** Runs a binding call and rethrows its failure as a LibvirtError. */
export async function wrap<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LibvirtError) throw err;
    const raw = err as { name?: string; message?: string; code?: number };
    if (raw && raw.name === 'LibvirtError') throw new LibvirtError(call, raw);
    throw err;
  }
}

/** Connection-level failures: the agent cannot reach libvirt right now. */
export function isConnectionError(err: unknown): boolean {
  return isLibvirtError(err, ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC);
}

/**
 * Maps a libvirt failure onto the project's taxonomy. `what` names the thing
 * acted on (e.g. "domain 'web1'") so the message says what went wrong where.
 */
export function toAppError(err: unknown, what: string, field = 'domain'): AppError {
  if (err instanceof AppError) return err;
  if (!(err instanceof LibvirtError)) return new Internal(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const msg = `${what}: ${err.message} (libvirt ${err.codeName})`;
  // Some drivers report a state conflict ("Domain 'x' is already running")
  // as an internal error: it is the caller's race, not the agent's fault.
  if (err.code === ErrorCode.INTERNAL_ERROR && /\bis already (running|active)\b|\balready exists\b/i.test(err.message)) {
    return new FailedPrecondition(msg, { cause: err });
  }
  switch (err.code) {
    case ErrorCode.NO_DOMAIN:
      return new NotFound(`${what} not found`, { cause: err });
    case ErrorCode.XML_ERROR:
    case ErrorCode.XML_DETAIL:
    case ErrorCode.XML_INVALID_SCHEMA:
    case ErrorCode.NO_KERNEL:
    case ErrorCode.NO_ROOT:
    case ErrorCode.NO_SOURCE:
    case ErrorCode.NO_TARGET:
    case ErrorCode.NO_NAME:
    case ErrorCode.NO_OS:
    case ErrorCode.NO_DEVICE:
    case ErrorCode.INVALID_MAC:
    case ErrorCode.INVALID_ARG:
    case ErrorCode.CONFIG_UNSUPPORTED:
      return new InvalidArgument(field, msg, { cause: err });
    case ErrorCode.NO_CONNECT:
    case ErrorCode.INVALID_CONN:
    case ErrorCode.RPC:
      return new Unavailable(`libvirt unavailable: ${err.message}`, { cause: err });
    case ErrorCode.OPERATION_TIMEOUT:
    case ErrorCode.AGENT_UNRESPONSIVE:
      return new Timeout(msg, { cause: err });
    case ErrorCode.OPERATION_INVALID:
    case ErrorCode.DOM_EXIST:
    case ErrorCode.OPERATION_DENIED:
    case ErrorCode.NO_SUPPORT:
    case ErrorCode.OPERATION_UNSUPPORTED:
    case ErrorCode.ARGUMENT_UNSUPPORTED:
      return new FailedPrecondition(msg, { cause: err });
    default:
      return new Internal(msg, { cause: err });
  }
}
