// libvirt failures as a typed error, and their mapping onto the project's
// taxonomy (src/errors.ts). The binding rejects with plain Errors carrying
// code/domain/level/int1; wrap() turns those into LibvirtError.
import {
  AppError, FailedPrecondition, Internal, InvalidArgument, NotFound, Timeout, Unavailable,
} from '../errors';
import { nameOf } from '../enums';
import { laneOf, libvirtAdmission } from './admission';

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
  /** virErrorNumber (codes the agent does not name are still numbers here) */
  readonly code: ErrorCode;
  /** virErrorDomain: which part of libvirt raised it */
  readonly domain: number;
  readonly level: number;
  /** errno for VIR_ERR_SYSTEM_ERROR, else -1 or driver specific */
  readonly int1: number;
  /** the libvirt call that failed, e.g. "virDomainDestroyFlags" */
  readonly call: string;

  constructor(call: string, raw: { message?: string; code?: ErrorCode; domain?: number; level?: number; int1?: number }) {
    super(raw.message ?? 'libvirt call failed');
    this.name = 'LibvirtError';
    this.call = call;
    this.code = raw.code ?? ErrorCode.INTERNAL_ERROR;
    this.domain = raw.domain ?? 0;
    this.level = raw.level ?? 2;
    this.int1 = raw.int1 ?? -1;
  }

  get codeName(): string {
    return nameOf(ErrorCode, this.code) ?? `CODE_${this.code}`;
  }

  is(...codes: ErrorCode[]): boolean {
    return codes.includes(this.code);
  }
}

export function isLibvirtError(err: unknown, ...codes: ErrorCode[]): err is LibvirtError {
  return err instanceof LibvirtError && (codes.length === 0 || codes.includes(err.code));
}

/** A binding failure as a LibvirtError (`call` unless the binding named the failing call itself); anything else as is. */
export function asLibvirtError(err: unknown, call: string): unknown {
  if (err instanceof LibvirtError) return err;
  const raw = err as { name?: string; message?: string; code?: ErrorCode; call?: unknown } | null;
  // A job of several libvirt calls (describe) names the one that failed.
  if (raw?.name === 'LibvirtError') return new LibvirtError(typeof raw.call === 'string' && raw.call !== '' ? raw.call : call, raw);
  return err;
}

/**
 * Runs a binding call, admitted by the process's libvirt admission
 * (admission.ts: bounded in flight, reads first), and rethrows its failure as
 * a LibvirtError.
 */
export async function wrap<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await libvirtAdmission.run(laneOf(call), fn);
  } catch (err) {
    throw asLibvirtError(err, call);
  }
}

/** The LibvirtError itself, or the one an AppError was translated from. */
export function libvirtErrorOf(err: unknown): LibvirtError | undefined {
  if (err instanceof LibvirtError) return err;
  if (err instanceof AppError && err.cause instanceof LibvirtError) return err.cause;
  return undefined;
}

/** Whether err is (or was translated from) a libvirt failure with one of `codes` (any code when none given). */
export function hasLibvirtCode(err: unknown, ...codes: ErrorCode[]): boolean {
  const e = libvirtErrorOf(err);
  return e !== undefined && (codes.length === 0 || codes.includes(e.code));
}

/** Connection-level failures: the agent cannot reach libvirt right now. */
export function isConnectionError(err: unknown): boolean {
  return hasLibvirtCode(err, ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC);
}

/**
 * The driver refused a flag it does not support (the test driver, an older
 * libvirt or hypervisor): the caller may retry without it.
 */
export function isFlagRejection(err: unknown): boolean {
  return hasLibvirtCode(err, ErrorCode.INVALID_ARG, ErrorCode.NO_SUPPORT, ErrorCode.ARGUMENT_UNSUPPORTED);
}

/**
 * QEMU's "Device ... is already in the process of unplug": a detach asked
 * while an earlier one is still with the guest. Not a failure, the device is
 * on its way out (Nova keeps waiting too).
 */
export function isUnplugPending(err: unknown): boolean {
  return /already in the process of unplug/i.test(libvirtErrorOf(err)?.message ?? '');
}

/** Calls whose input is the client's domain XML: their content errors are the caller's to fix. */
const DEFINITION_CALLS = new Set(['virDomainDefineXMLFlags', 'virDomainCreateXML']);

/** What a call does, for messages ("starting domain 'web-1': ..."); `args` are the call's arguments. */
const ACTIONS: Readonly<Record<string, (args: readonly unknown[]) => string>> = {
  virDomainGetState: () => 'reading the state of',
  virDomainIsActive: () => 'reading',
  virDomainIsPersistent: () => 'reading',
  virDomainHasManagedSaveImage: () => 'reading',
  virDomainGetXMLDesc: () => 'reading the XML of',
  virDomainShutdownFlags: () => 'shutting down',
  virDomainDestroyFlags: () => 'destroying',
  virDomainUndefineFlags: () => 'undefining',
  virDomainCreateWithFlags: () => 'starting',
  virDomainManagedSaveRemove: () => 'removing the managed-save image of',
  virDomainDetachDeviceFlags: (args) => `detaching ${deviceOf(args[0])} from`,
  virDomainAttachDeviceFlags: (args) => `attaching ${deviceOf(args[0])} to`,
};

/** "disk vdb" from a device's XML (its element and target), for messages. */
function deviceOf(xml: unknown): string {
  const text = typeof xml === 'string' ? xml : '';
  const element = /^\s*<([A-Za-z]+)/.exec(text)?.[1] ?? 'device';
  const target = /<target\b[^>]*\bdev=['"]([^'"]{1,32})['"]/.exec(text)?.[1];
  return target ? `${element} ${target}` : `a ${element}`;
}

/** Request fields at fault when a call's input is refused (default "domain"). */
const FIELDS: Readonly<Record<string, string>> = {
  virDomainDefineXMLFlags: 'xml',
  virDomainCreateXML: 'xml',
  virDomainDetachDeviceFlags: 'volume',
};

/**
 * A failed call on one domain in the project's taxonomy, naming what was
 * done to which domain ("undefining domain 'web-1': ..."); the LibvirtError
 * is the cause. Anything else passes through. Used by the Guests the agent's
 * Host hands out, so flows and read handlers only ever see AppErrors.
 */
export function domainError(err: unknown, name: string, args: readonly unknown[] = []): unknown {
  if (!(err instanceof LibvirtError)) return err;
  const subject = `domain '${name}'`;
  const action = ACTIONS[err.call]?.(args) ?? `${err.call} on`;
  return toAppError(err, `${action} ${subject}`, FIELDS[err.call] ?? 'domain', subject);
}

/** What a connection-level call does, when its caller does not say. */
const CONNECTION_ACTIONS: Readonly<Record<string, string>> = {
  virDomainLookupByName: 'domain',
  virDomainLookupByUUIDString: 'domain',
  virDomainDefineXMLFlags: 'defining domain',
  virDomainCreateXML: 'defining domain',
  virConnectListAllDomains: 'listing domains',
};

/** A failed connection-level call (lookup, define, create, list, ...) in the taxonomy; `what` says what was being done. */
export function connectionError(err: unknown, what?: string): unknown {
  if (!(err instanceof LibvirtError)) return err;
  return toAppError(err, what ?? CONNECTION_ACTIONS[err.call] ?? `libvirt ${err.call}`, FIELDS[err.call] ?? 'domain');
}

/**
 * Maps a libvirt failure onto the project's taxonomy (the only place that
 * does). `what` names the thing acted on (e.g. "starting domain 'web1'") so
 * the message says what went wrong where; `subject` is what a NOT_FOUND names
 * (default `what`).
 */
export function toAppError(err: unknown, what: string, field = 'domain', subject = what): AppError {
  if (err instanceof AppError) return err;
  if (!(err instanceof LibvirtError)) return new Internal(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const msg = `${what}: ${err.message} (libvirt ${err.codeName})`;
  if (DEFINITION_CALLS.has(err.call)) {
    // libvirt reports some content errors of client XML (e.g. "malformed uuid
    // element") as internal errors, and a name clash as a failed operation;
    // both are the caller's to fix.
    if (err.code === ErrorCode.INTERNAL_ERROR && /malformed|could not parse|invalid|unknown|unsupported|expected/i.test(err.message)) {
      return new InvalidArgument(field, `${what}: ${err.message}`, { cause: err });
    }
    if (err.code === ErrorCode.OPERATION_FAILED && /already exists/i.test(err.message)) {
      return new FailedPrecondition(`${what}: ${err.message}`, { cause: err });
    }
  }
  // Some drivers report a state conflict ("Domain 'x' is already running")
  // as an internal error: it is the caller's race, not the agent's fault.
  if (err.code === ErrorCode.INTERNAL_ERROR && /\bis already (running|active)\b|\balready exists\b/i.test(err.message)) {
    return new FailedPrecondition(msg, { cause: err });
  }
  switch (err.code) {
    case ErrorCode.NO_DOMAIN:
      return new NotFound(`${subject} not found`, { cause: err });
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
