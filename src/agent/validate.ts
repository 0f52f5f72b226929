// Checks of request fields that every RPC shares, each error naming its field.
import type { DomainRef } from '../libvirt/host';
import { InvalidArgument } from '../errors';
import { UUID_RE } from '../ids';
import type { ShutdownMethodName } from './flows/types';

/** libvirt accepts nearly anything but '/'; control characters and huge names are refused here. */
const NAME_RE = /^[^/\p{Cc}]{1,255}$/u;

export interface RefMessage {
  name?: string;
  uuid?: string;
}

export function domainRef(msg: RefMessage | null | undefined, field = 'domain'): DomainRef {
  const name = msg?.name ?? '';
  const uuid = msg?.uuid ?? '';
  if (name === '' && uuid === '') throw new InvalidArgument(field, 'set exactly one of name or uuid');
  if (name !== '' && uuid !== '') throw new InvalidArgument(field, 'set exactly one of name or uuid, not both');
  if (uuid !== '') {
    if (!UUID_RE.test(uuid)) throw new InvalidArgument(`${field}.uuid`, `not a UUID: ${JSON.stringify(uuid.slice(0, 64))}`);
    return { uuid: uuid.toLowerCase() };
  }
  if (!NAME_RE.test(name)) {
    throw new InvalidArgument(`${field}.name`, 'must be 1-255 characters without "/" or control characters');
  }
  return { name };
}

/** An optional domain ref: absent or empty means none. */
export function optionalDomainRef(msg: RefMessage | null | undefined, field = 'domain'): DomainRef | undefined {
  if (!msg || ((msg.name ?? '') === '' && (msg.uuid ?? '') === '')) return undefined;
  return domainRef(msg, field);
}

/** An optional uint32 seconds field: unset → fallback, bounded above. */
export function seconds(value: number | null | undefined, field: string, fallback: number, opts: { min?: number; max: number }): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (opts.min ?? 0) || value > opts.max) {
    throw new InvalidArgument(field, `must be between ${opts.min ?? 0} and ${opts.max} seconds`);
  }
  return value;
}

const METHODS: Record<string, ShutdownMethodName> = {
  SHUTDOWN_METHOD_ACPI: 'acpi',
  SHUTDOWN_METHOD_GUEST_AGENT: 'guest_agent',
};

export function shutdownMethods(values: string[] | undefined, fallback: ShutdownMethodName[]): ShutdownMethodName[] {
  if (!values || values.length === 0) return fallback;
  return values.map((v, i) => {
    const m = METHODS[v];
    if (!m) throw new InvalidArgument(`shutdown_methods[${i}]`, `unknown method ${JSON.stringify(v)}`);
    return m;
  });
}
