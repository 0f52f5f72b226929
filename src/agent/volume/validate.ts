// Validation of connection_info values before they reach any command line.
// Errors are InvalidArgument naming the request field, e.g.
// "volume.connection_info.data.target_iqn".
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { InvalidArgument } from '../../errors';

export const DATA_FIELD = 'volume.connection_info.data';
export const dataField = (key: string): string => `${DATA_FIELD}.${key}`;

/** data[key], which must be set and not blank. */
export function requiredData(data: Record<string, string>, key: string): string {
  const v = data[key];
  if (v === undefined || v.trim() === '') throw new InvalidArgument(dataField(key), 'is required');
  return v;
}

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** IPv4, hostname (RFC 1123), or — only when bracketed by the caller — IPv6. */
export function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  if (!labels.every((l) => HOST_LABEL.test(l))) return false;
  // All-numeric last label: a malformed IPv4 address, not a name.
  return !/^\d+$/.test(labels[labels.length - 1]!) || isIPv4(host);
}

export interface Portal {
  host: string;
  port: number;
  /** "host:port" with IPv6 in brackets and the host lower-cased; what iscsiadm prints. */
  text: string;
}

/** "host:port" — IPv4, [IPv6] or hostname; port 1–65535 and required. */
export function parsePortal(field: string, raw: string): Portal {
  const m = /^(\[([0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new InvalidArgument(field, `portal ${JSON.stringify(raw)} is not host:port (IPv6 as [addr]:port)`);
  const port = Number(m[4]);
  if (port < 1 || port > 65535) throw new InvalidArgument(field, `portal port ${port} is outside 1-65535`);
  if (m[2] !== undefined) {
    if (!isIPv6(m[2].replace(/%.*$/, ''))) throw new InvalidArgument(field, `portal ${JSON.stringify(raw)} has an invalid IPv6 address`);
    const host = m[2].toLowerCase();
    return { host, port, text: `[${host}]:${port}` };
  }
  const host = m[3]!.toLowerCase();
  if (!isIPv4(host) && !isHostname(host)) throw new InvalidArgument(field, `portal host ${JSON.stringify(m[3])} is not an IPv4 address or hostname`);
  return { host, port, text: `${host}:${port}` };
}

// RFC 3720/3721: iqn.YYYY-MM.reversed.domain[:unique], eui.<16 hex>, naa.<16|32 hex>.
const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9._:-]+)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/i;

export function validateIqn(field: string, raw: string): string {
  const iqn = raw.trim();
  if (iqn.length > 223 || !(IQN.test(iqn) || EUI.test(iqn) || NAA.test(iqn))) {
    throw new InvalidArgument(field, `${JSON.stringify(raw)} is not an iSCSI name (iqn.YYYY-MM.domain[:id], eui.<16 hex>, naa.<16|32 hex>)`);
  }
  return iqn;
}

export const MAX_LUN = 16383;

export function parseLun(field: string, raw: string): number {
  const s = raw.trim();
  if (!/^\d{1,5}$/.test(s) || Number(s) > MAX_LUN) throw new InvalidArgument(field, `LUN ${JSON.stringify(raw)} is not an integer 0-${MAX_LUN}`);
  return Number(s);
}

/**
 * A list value from the string map: a JSON array ('["a","b"]', '[0,1]') or
 * comma-separated ("a,b"). Items are trimmed; empty items are rejected.
 */
export function parseList(field: string, raw: string): string[] {
  const s = raw.trim();
  let items: string[];
  if (s.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      throw new InvalidArgument(field, 'is not a valid JSON array');
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      throw new InvalidArgument(field, 'must be a JSON array of strings or integers');
    }
    items = parsed.map((v) => String(v).trim());
  } else {
    items = s.split(',').map((v) => v.trim());
  }
  if (items.length === 0 || items.some((v) => v === '')) throw new InvalidArgument(field, 'must be a non-empty list without empty items');
  return items;
}

// Ceph pool / image names as we accept them: conservative, never option-like.
const RBD_PART = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
export const MAX_RBD_NAME = 255;

export function validateRbdPart(field: string, what: string, raw: string): string {
  if (raw.length === 0 || raw.length > MAX_RBD_NAME || !RBD_PART.test(raw) || raw === '.' || raw === '..') {
    throw new InvalidArgument(field, `${what} ${JSON.stringify(raw)} must be 1-${MAX_RBD_NAME} of [A-Za-z0-9._-], not starting with "-"`);
  }
  return raw;
}

/** NFS export "host:/path" (host IPv4, [IPv6] or hostname; path absolute, normalized). */
export function validateExport(field: string, raw: string): string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/]+):(\/.*)$/.exec(raw.trim());
  if (!m) throw new InvalidArgument(field, `${JSON.stringify(raw)} is not host:/path`);
  const host = m[1]!;
  const ok = host.startsWith('[') ? isIPv6(host.slice(1, -1)) : isIPv4(host) || isHostname(host);
  if (!ok) throw new InvalidArgument(field, `export host ${JSON.stringify(host)} is not an IPv4 address, [IPv6] or hostname`);
  const p = m[2]!;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p) || p.includes('//') || p.split('/').some((seg) => seg === '.' || seg === '..')) {
    throw new InvalidArgument(field, `export path ${JSON.stringify(p)} must be a normalized absolute path`);
  }
  return `${host}:${p}`;
}

/** Absolute, NUL-free, resolved (no "..") path. */
export function validateAbsolutePath(field: string, raw: string): string {
  if (raw.length === 0 || raw.length > 4096 || raw.includes('\0') || !path.isAbsolute(raw)) {
    throw new InvalidArgument(field, `${JSON.stringify(raw)} must be an absolute path`);
  }
  return path.resolve(raw);
}

/** True when `child` is `parent` or lies below it (both absolute, resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}
