// The one place errors become gRPC statuses, plus wrappers that let handlers
// be plain async functions that throw AppErrors.
import * as grpc from '@grpc/grpc-js';
import { errorMessage, isAppError, type ErrorKind } from '../errors';

const KIND_TO_CODE: Readonly<Record<ErrorKind, grpc.status>> = {
  NotFound: grpc.status.NOT_FOUND,
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  Conflict: grpc.status.ABORTED,
  FailedPrecondition: grpc.status.FAILED_PRECONDITION,
  ResourceExhausted: grpc.status.RESOURCE_EXHAUSTED,
  Unavailable: grpc.status.UNAVAILABLE,
  PermissionDenied: grpc.status.PERMISSION_DENIED,
  Timeout: grpc.status.DEADLINE_EXCEEDED,
  Internal: grpc.status.INTERNAL,
};

export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

/**
 * Trailer naming the error's kind (NotFound, Unavailable, ...) on every error
 * status our servers send. A client can then tell a status the service
 * answered from one grpc-js made up for a call that never got an answer: both
 * can be UNAVAILABLE, and only the second means the peer is unreachable.
 */
export const ERROR_KIND_TRAILER = 'virt-error-kind';

/** Whether a failed call's status came from one of our servers (it carries the kind trailer). */
export function answeredByServer(err: { metadata?: grpc.Metadata } | null | undefined): boolean {
  return (err?.metadata?.get(ERROR_KIND_TRAILER).length ?? 0) > 0;
}

export function codeForKind(kind: ErrorKind): grpc.status {
  return KIND_TO_CODE[kind];
}

/** Longest error text sent back. */
export const MAX_ERROR_DETAILS = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text with unpaired UTF-16 surrogates replaced by U+FFFD. grpc-js sends
 * the status text through encodeURI, which throws on a lone surrogate: the
 * call never ends and the throw escapes as an unhandled rejection, which
 * kills the process. Request values quoted in errors (half of an emoji cut
 * by a parser: fast-xml-parser's validator does that) must never get there.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Errors often quote the offending request value, and the text travels as the
 * grpc-message trailer: one larger than the client's header-list limit (64 KiB
 * in Node) wedges the whole HTTP/2 connection, so that call and every later
 * one on it hang until their deadlines. Clip it (and make it encodable).
 * Idempotent.
 */
export function clip(details: string): string {
  if (details.length <= MAX_ERROR_DETAILS) return wellFormed(details);
  return wellFormed(`${details.slice(0, MAX_ERROR_DETAILS).replace(/[\uD800-\uDBFF]$/, '')}... (${details.length} characters)`);
}

/**
 * Sends a final status; should grpc-js throw while encoding it, sends the
 * code with a plain text instead. Nothing thrown here may escape: it would be
 * an unhandled rejection.
 */
function sendSafely(send: (status: GrpcStatus) => void, status: GrpcStatus): void {
  try {
    send(status);
  } catch {
    try {
      send({ code: status.code, details: 'error details could not be encoded', ...(status.metadata ? { metadata: status.metadata } : {}) });
    } catch {
      // The call is beyond saving; the process is not.
    }
  }
}

/** AppErrors by kind; anything else is INTERNAL with its message (never a stack). */
export function toGrpcStatus(err: unknown): GrpcStatus {
  if (isAppError(err)) return { code: codeForKind(err.kind), details: clip(err.message) };
  return { code: grpc.status.INTERNAL, details: clip(errorMessage(err)) };
}

/** toGrpcStatus with the kind trailer, as the servers send it. */
function statusToSend(err: unknown): GrpcStatus {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_TRAILER, isAppError(err) ? err.kind : 'Internal');
  return { ...toGrpcStatus(err), metadata };
}

/**
 * Called once per finished call, for metrics and access logs. `method` is the
 * full path ("/virtagent.v1.HostAgent/PowerOff"); a client cancel is CANCELLED,
 * a passed client deadline DEADLINE_EXCEEDED, whatever the handler returned.
 */
export type CallObserver = (method: string, code: grpc.status, durationMs: number) => void;

/** `signal` aborts when the client cancels (or its deadline passes). A handler may answer at once or later. */
export type UnaryHandler<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, signal: AbortSignal) => Res | Promise<Res>;
/** Write with call.write(); resolve to end the stream with OK, throw to fail it. */
export type ServerStreamingHandler<Req, Res> = (
  call: grpc.ServerWritableStream<Req, Res>,
  signal: AbortSignal,
) => Promise<void>;

/** Wraps an async unary handler into a grpc-js handleUnaryCall. */
export function unary<Req, Res>(handler: UnaryHandler<Req, Res>, observer?: CallObserver): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const done = track(call, observer);
    run(() => handler(call, done.signal)).then(
      (response) => {
        done.finish(grpc.status.OK);
        try {
          callback(null, response);
        } catch (err) {
          sendSafely((s) => callback(s), statusToSend(err));
        }
      },
      (err: unknown) => {
        const status = statusToSend(err);
        done.finish(status.code);
        sendSafely((s) => callback(s), status);
      },
    );
  };
}

/** Wraps an async server-streaming handler into a grpc-js handleServerStreamingCall. */
export function serverStreaming<Req, Res>(
  handler: ServerStreamingHandler<Req, Res>,
  observer?: CallObserver,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const done = track(call, observer);
    run(() => handler(call, done.signal)).then(
      () => {
        done.finish(grpc.status.OK);
        try {
          if (!call.cancelled) call.end();
        } catch {
          // Ending a stream the client already closed; nothing to tell anyone.
        }
      },
      (err: unknown) => {
        const status = statusToSend(err);
        done.finish(status.code);
        // grpc-js turns an 'error' event into the call's final status.
        if (!call.cancelled) sendSafely((s) => call.emit('error', s), status);
      },
    );
  };
}

/** fn's result as a promise; a synchronous throw is a rejection. */
function run<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

interface Tracker {
  signal: AbortSignal;
  finish(code: grpc.status): void;
}

/** What unary and server-streaming calls share (grpc-js does not export ServerSurfaceCall). */
interface TrackedCall {
  readonly cancelled: boolean;
  getPath(): string;
  getDeadline(): grpc.Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

function track(call: TrackedCall, observer: CallObserver | undefined): Tracker {
  const started = performance.now();
  const controller = new AbortController();
  const onCancel = (): void =>
    controller.abort(new Error(cancelCode(call) === grpc.status.DEADLINE_EXCEEDED ? 'deadline exceeded' : 'cancelled by the client'));
  call.once('cancelled', onCancel);
  let finished = false;
  return {
    signal: controller.signal,
    finish(code) {
      if (finished) return;
      finished = true;
      call.off('cancelled', onCancel);
      if (observer === undefined) return;
      try {
        observer(call.getPath(), call.cancelled ? cancelCode(call) : code, performance.now() - started);
      } catch {
        // A broken metrics hook must not break the call.
      }
    },
  };
}

/** grpc-js reports both a client cancel and a passed deadline as 'cancelled'. */
function cancelCode(call: TrackedCall): grpc.status {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
}
