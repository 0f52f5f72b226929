// The one error taxonomy of the project. Flows, the libvirt layer and the
// controller throw these; src/grpc/status.ts maps them to gRPC codes once.

export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'PermissionDenied'
  | 'Timeout'
  | 'Internal';

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** The field of the request at fault, for InvalidArgument. */
  readonly field?: string;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.name = kind;
    if (options?.field !== undefined) this.field = options.field;
  }
}

export class NotFound extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NotFound', message, options);
  }
}

export class InvalidArgument extends AppError {
  /** `field` is the request field at fault; the message is prefixed with it. */
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('InvalidArgument', `${field}: ${message}`, { ...options, field });
  }
}

export class Conflict extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Conflict', message, options);
  }
}

export class FailedPrecondition extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FailedPrecondition', message, options);
  }
}

export class ResourceExhausted extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ResourceExhausted', message, options);
  }
}

export class Unavailable extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Unavailable', message, options);
  }
}

/** The caller is known but may not do this (e.g. register a host its certificate does not name). */
export class PermissionDenied extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PermissionDenied', message, options);
  }
}

export class Timeout extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Timeout', message, options);
  }
}

export class Internal extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Internal', message, options);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
