// Checks of controller requests, each error naming its field, and the
// preparation of a client's domain XML (uuid, name, vcpu and memory made
// explicit and consistent with the request).
import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { XMLParser } from 'fast-xml-parser';

import { InvalidArgument } from '../errors';
import { UUID_RE } from '../ids';
import { DRIVER_VOLUME_TYPES, isDriverVolumeType, type ConnectionInfo } from '../volume-types';
import { parseDomainXml, screenXml } from '../libvirt/domain-xml';

const NAME_RE = /^[^\p{Cc}]{1,255}$/u;
const PROJECT_RE = /^[A-Za-z0-9._-]{1,255}$/;
const VOLUME_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const TARGET_DEV_RE = /^[a-z]{2,4}[a-z0-9]{0,6}$/;
export const MAX_VCPUS = 4096;
export const MAX_MEMORY_MIB = 64 * 1024 * 1024;

export function uuidField(value: unknown, field = 'uuid'): string {
  const v = typeof value === 'string' ? value : '';
  if (v === '') throw new InvalidArgument(field, 'is required');
  if (!UUID_RE.test(v)) throw new InvalidArgument(field, `not a UUID: ${JSON.stringify(v.slice(0, 64))}`);
  return v.toLowerCase();
}

export function projectField(value: unknown, field = 'project_id'): string {
  const v = typeof value === 'string' ? value : '';
  if (v === '') throw new InvalidArgument(field, 'is required');
  if (!PROJECT_RE.test(v)) throw new InvalidArgument(field, 'must be 1-255 characters of [A-Za-z0-9._-]');
  return v;
}

export function nameField(value: unknown, field = 'name'): string {
  const v = typeof value === 'string' ? value : '';
  if (v.trim() === '') throw new InvalidArgument(field, 'is required');
  if (!NAME_RE.test(v)) throw new InvalidArgument(field, 'must be 1-255 characters without control characters');
  return v;
}

export function countField(value: unknown, field: string, max: number): number {
  const n = typeof value === 'number' ? value : 0;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgument(field, `must be an integer from 1 to ${max}`);
  return n;
}

export function volumeIdField(value: unknown, field = 'volume_id'): string {
  const v = typeof value === 'string' ? value : '';
  if (v === '') throw new InvalidArgument(field, 'is required');
  if (!VOLUME_ID_RE.test(v)) throw new InvalidArgument(field, 'must be 1-128 characters of [A-Za-z0-9._-]');
  return v;
}

export function targetDevField(value: unknown, field = 'target_dev'): string {
  const v = typeof value === 'string' ? value : '';
  if (v === '') throw new InvalidArgument(field, 'is required');
  if (!TARGET_DEV_RE.test(v)) throw new InvalidArgument(field, `not a disk target name: ${JSON.stringify(v.slice(0, 32))}`);
  return v;
}

export function connectionInfoField(value: unknown, field = 'connection_info'): ConnectionInfo {
  if (value === null || value === undefined || typeof value !== 'object') throw new InvalidArgument(field, 'is required');
  const v = value as { driver_volume_type?: unknown; data?: unknown };
  const type = typeof v.driver_volume_type === 'string' ? v.driver_volume_type : '';
  if (!isDriverVolumeType(type)) {
    throw new InvalidArgument(`${field}.driver_volume_type`, `must be one of ${DRIVER_VOLUME_TYPES.join(', ')}, got ${JSON.stringify(type.slice(0, 32))}`);
  }
  const data: Record<string, string> = {};
  for (const [k, val] of Object.entries((v.data ?? {}) as Record<string, unknown>)) {
    if (typeof val !== 'string') throw new InvalidArgument(`${field}.data.${k}`, 'must be a string');
    if (k.length > 128 || val.length > 4096) throw new InvalidArgument(`${field}.data.${k.slice(0, 128)}`, 'key or value too long');
    data[k] = val;
  }
  return { driver_volume_type: type, data };
}

export interface VolumeSpec {
  volume_id: string;
  target_dev: string;
  connection_info: ConnectionInfo;
  delete_on_termination: boolean;
}

export function volumeSpec(value: unknown, field: string): VolumeSpec {
  const v = (value ?? {}) as Record<string, unknown>;
  return {
    volume_id: volumeIdField(v.volume_id, `${field}.volume_id`),
    target_dev: targetDevField(v.target_dev, `${field}.target_dev`),
    connection_info: connectionInfoField(v.connection_info, `${field}.connection_info`),
    delete_on_termination: v.delete_on_termination === true,
  };
}

/** Volumes of one request: each valid, no volume or target twice. */
export function volumeSpecs(values: unknown, field = 'volumes'): VolumeSpec[] {
  const list = Array.isArray(values) ? values : [];
  const specs = list.map((v, i) => volumeSpec(v, `${field}[${i}]`));
  const ids = new Set<string>();
  const targets = new Set<string>();
  specs.forEach((s, i) => {
    if (ids.has(s.volume_id)) throw new InvalidArgument(`${field}[${i}].volume_id`, `volume ${s.volume_id} listed twice`);
    if (targets.has(s.target_dev)) throw new InvalidArgument(`${field}[${i}].target_dev`, `target ${s.target_dev} used twice`);
    ids.add(s.volume_id);
    targets.add(s.target_dev);
  });
  return specs;
}

// ---------------------------------------------------------------------------
// Domain XML

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: false, parseTagValue: false });

type Node = Record<string, unknown>;

function text(node: unknown): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string' || typeof node === 'number') return String(node).trim();
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    const t = (node as Node)['#text'];
    return typeof t === 'string' || typeof t === 'number' || typeof t === 'boolean' ? String(t).trim() : '';
  }
  return '';
}

/** libvirt's memory units, in bytes (no unit = KiB). */
const UNITS: Record<string, number> = {
  b: 1, bytes: 1, kb: 1e3, k: 1024, kib: 1024, mb: 1e6, m: 1024 ** 2, mib: 1024 ** 2,
  gb: 1e9, g: 1024 ** 3, gib: 1024 ** 3, tb: 1e12, t: 1024 ** 4, tib: 1024 ** 4,
};

function memoryBytes(node: unknown, field: string): number {
  const value = Number(text(node));
  const unitAttr = node && typeof node === 'object' ? (node as Node)['@unit'] : undefined;
  const unit = typeof unitAttr === 'string' ? unitAttr.toLowerCase() : 'kib';
  const factor = UNITS[unit];
  if (!Number.isFinite(value) || value <= 0 || factor === undefined) throw new InvalidArgument(field, '<memory> is not a valid amount');
  return value * factor;
}

/** Where the root <domain ...> start tag ends (comments skipped). */
function rootTagEnd(xml: string, field: string): number {
  const comments = [...xml.matchAll(/<!--[\s\S]*?-->/g)].map((m) => [m.index, m.index + m[0].length] as const);
  for (const m of xml.matchAll(/<domain(?:\s[^>]*)?>/g)) {
    if (comments.some(([a, b]) => m.index >= a && m.index < b)) continue;
    if (m[0].endsWith('/>')) break;
    return m.index + m[0].length;
  }
  throw new InvalidArgument(field, 'the root element must be <domain>...</domain>');
}

export interface PreparedDomain {
  xml: string;
  uuid: string;
  /** The libvirt domain name. */
  domainName: string;
}

/**
 * Screens the client's XML (size, DTDs, well-formedness), requires a <domain>
 * root, and makes uuid, name, vcpu and memory explicit: taken from the XML
 * when present (vcpu and memory must match the request), inserted otherwise
 * (a generated uuid; the uuid as the name).
 */
export function prepareDomainXml(xml: string, want: { vcpus: number; memoryMib: number }, field = 'domain_xml'): PreparedDomain {
  screenXml(xml, field);
  const doc = parser.parse(xml) as Node;
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && k !== '#text');
  if (roots.length !== 1 || roots[0] !== 'domain' || typeof doc.domain !== 'object' || Array.isArray(doc.domain)) {
    throw new InvalidArgument(field, 'the root element must be a single <domain>');
  }
  const dom = doc.domain as Node;
  for (const el of ['uuid', 'name', 'vcpu', 'memory']) {
    if (Array.isArray(dom[el])) throw new InvalidArgument(field, `<${el}> given more than once`);
  }
  const inserts: string[] = [];

  let uuid = text(dom.uuid);
  if (uuid === undefined || uuid === '') {
    uuid = randomUUID();
    inserts.push(`<uuid>${uuid}</uuid>`);
  } else if (!UUID_RE.test(uuid)) {
    throw new InvalidArgument(field, `<uuid> is not a UUID: ${JSON.stringify(uuid.slice(0, 64))}`);
  }
  uuid = uuid.toLowerCase();

  let domainName = text(dom.name);
  if (domainName === undefined || domainName === '') {
    domainName = uuid;
    inserts.push(`<name>${uuid}</name>`);
  }

  const vcpu = text(dom.vcpu);
  if (vcpu === undefined) inserts.push(`<vcpu>${want.vcpus}</vcpu>`);
  else if (Number(vcpu) !== want.vcpus) {
    throw new InvalidArgument(field, `<vcpu> ${JSON.stringify(vcpu)} does not match vcpus ${want.vcpus}`);
  }

  if (dom.memory === undefined) inserts.push(`<memory unit="MiB">${want.memoryMib}</memory>`);
  else {
    const bytes = memoryBytes(dom.memory, field);
    if (bytes !== want.memoryMib * 1024 * 1024) {
      throw new InvalidArgument(field, `<memory> (${bytes / 1024 / 1024} MiB) does not match memory_mib ${want.memoryMib}`);
    }
  }

  if (inserts.length === 0) return { xml, uuid, domainName };
  const at = rootTagEnd(xml, field);
  // Only validated UUIDs and integers are inserted: nothing to escape.
  return { xml: `${xml.slice(0, at)}${inserts.join('')}${xml.slice(at)}`, uuid, domainName };
}

/** The file disks (with a source) of a domain XML, except those of the request's volumes (by target). */
export function fileDisksOf(xml: string, exemptTargets: ReadonlySet<string>): Array<{ target: string; file: string }> {
  return parseDomainXml(xml).disks
    .filter((d) => d.type === 'file' && d.path !== undefined && !exemptTargets.has(d.targetDev))
    .map((d) => ({ target: d.targetDev || '?', file: d.path ?? '' }));
}

/**
 * File disks of a new instance must lie in its own directory on the host,
 * <instances_path>/<uuid>/ (Nova's layout): a domain XML naming another
 * instance's disk (or any other file) is refused, so an instance can never be
 * made to own — and later delete, or read — someone else's file. Disks of the
 * request's volumes (by target) are exempt: they are Cinder volumes, never
 * removed with the instance. The agent applies the same rule again, on
 * canonical paths, when it removes disks.
 */
export function checkFileDisks(xml: string, uuid: string, instancesPath: string, exemptTargets: ReadonlySet<string>,
  host: string, field = 'domain_xml'): void {
  const dir = path.posix.join(instancesPath, uuid);
  for (const { target, file } of fileDisksOf(xml, exemptTargets)) {
    // No ".." or "." segments at all: the path must say plainly where it is.
    const plain = path.posix.isAbsolute(file) && !file.split('/').some((seg) => seg === '..' || seg === '.');
    const rel = path.posix.relative(dir, file);
    if (!plain || rel === '' || rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel)) {
      throw new InvalidArgument(field, `disk ${target}: file ${JSON.stringify(file.slice(0, 256))} is outside this instance's directory ${dir} on host ${host}`);
    }
  }
}
