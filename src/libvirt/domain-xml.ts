// Reading what the agent needs out of libvirt domain XML: disks (for the
// Domain message, disk checks, volume detach and disk removal) and whether a
// guest-agent channel exists. This is the agent's one XML parser
// (fast-xml-parser); nothing reads a domain document with a regex. Disks come
// from <domain><devices><disk> only — a <disk> in <metadata> or elsewhere is
// never one — and the XML of each disk, as sent to libvirt for a detach, is
// that parsed element serialized again, not a slice of the text.
// libvirt generates this XML, so it is parsed without entity expansion;
// user-supplied XML is screened by screenXml().
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

import { InvalidArgument } from '../errors';

export interface DiskInfo {
  /** libvirt disk type: file, block, network, volume, dir */
  type: string;
  /** disk, cdrom, floppy, lun */
  device: string;
  targetDev: string;
  bus: string;
  /** file path, block device, "pool/image" for network disks, "pool/volume" for volume disks */
  source: string;
  /** network disks: rbd, iscsi, nbd, ... */
  protocol: string;
  /** for type=file/block/dir: the host path */
  path?: string;
  /** Host paths of the <backingStore> chain (file and block layers), outermost first. */
  backingPaths: string[];
  alias: string;
  serial: string;
  /** This <disk> element, serialized from the parsed document (used to detach). */
  xml: string;
}

export interface DomainXmlInfo {
  name: string;
  uuid: string;
  disks: DiskInfo[];
  hasGuestAgentChannel: boolean;
}

const OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: false,
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
} as const;

const parser = new XMLParser(OPTIONS);
// eslint-disable-next-line @typescript-eslint/no-deprecated -- fast-xml-parser 5 re-exports fast-xml-builder's; moving is a dependency change of its own
const builder = new XMLBuilder({ ...OPTIONS, suppressEmptyNode: true });

/**
 * One element of the ordered tree fast-xml-parser builds with preserveOrder:
 * `{ <tag>: children[], ':@'?: { '@attr': value } }`, or `{ '#text': ... }`.
 */
type OrderedNode = Record<string, unknown>;

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

function childrenOf(node: OrderedNode | undefined): OrderedNode[] {
  if (!node) return [];
  const tag = tagOf(node);
  const kids = tag === undefined ? undefined : node[tag];
  return Array.isArray(kids) ? (kids as OrderedNode[]) : [];
}

function children(node: OrderedNode | undefined, tag: string): OrderedNode[] {
  return childrenOf(node).filter((c) => tagOf(c) === tag);
}

function child(node: OrderedNode | undefined, tag: string): OrderedNode | undefined {
  return childrenOf(node).find((c) => tagOf(c) === tag);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The XML predefined entities and character references, decoded (values are kept raw in the tree). */
function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

function attr(node: OrderedNode | undefined, name: string): string {
  const attrs = node?.[':@'] as Record<string, unknown> | undefined;
  const v = attrs?.[`@${name}`];
  return typeof v === 'string' || typeof v === 'number' ? decode(String(v)) : '';
}

function text(node: OrderedNode | undefined): string {
  return decode(childrenOf(node).map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : '')).join('')).trim();
}

function diskSource(type: string, src: OrderedNode | undefined): { source: string; protocol: string; path?: string } {
  switch (type) {
    case 'file':
      return { source: attr(src, 'file'), protocol: '', path: attr(src, 'file') || undefined };
    case 'block':
      return { source: attr(src, 'dev'), protocol: '', path: attr(src, 'dev') || undefined };
    case 'dir':
      return { source: attr(src, 'dir'), protocol: '', path: attr(src, 'dir') || undefined };
    case 'network':
      return { source: attr(src, 'name'), protocol: attr(src, 'protocol') };
    case 'volume':
      return { source: `${attr(src, 'pool')}/${attr(src, 'volume')}`, protocol: '' };
    default:
      return { source: '', protocol: '' };
  }
}

/** Paths of the backing chain (bounded: a chain deeper than this is not walked further). */
function backingPaths(disk: OrderedNode): string[] {
  const out: string[] = [];
  let layer = child(disk, 'backingStore');
  for (let depth = 0; layer && depth < 64; depth++) {
    const p = diskSource(attr(layer, 'type'), child(layer, 'source')).path;
    if (p) out.push(p);
    layer = child(layer, 'backingStore');
  }
  return out;
}

function diskInfo(node: OrderedNode): DiskInfo {
  const type = attr(node, 'type');
  const target = child(node, 'target');
  return {
    type,
    device: attr(node, 'device') || 'disk',
    targetDev: attr(target, 'dev'),
    bus: attr(target, 'bus'),
    ...diskSource(type, child(node, 'source')),
    backingPaths: backingPaths(node),
    alias: attr(child(node, 'alias'), 'name'),
    serial: text(child(node, 'serial')),
    xml: builder.build([node]),
  };
}

export function parseDomainXml(xml: string): DomainXmlInfo {
  const doc = parser.parse(xml) as OrderedNode[];
  const dom = doc.find((n) => tagOf(n) === 'domain');
  const devices = child(dom, 'devices');
  const disks = children(devices, 'disk').map(diskInfo);
  const hasGuestAgentChannel = children(devices, 'channel')
    .some((c) => attr(child(c, 'target'), 'name') === 'org.qemu.guest_agent.0');
  return { name: text(child(dom, 'name')), uuid: text(child(dom, 'uuid')), disks, hasGuestAgentChannel };
}

/** Largest domain XML the agent accepts from a client. */
export const MAX_DOMAIN_XML_BYTES = 1024 * 1024;

/**
 * Rejects client XML that is too large, not well formed, or declares a DTD
 * (entity expansion bombs), before libvirt ever sees it.
 */
export function screenXml(xml: string, field: string): void {
  if (xml.trim() === '') throw new InvalidArgument(field, 'must not be empty');
  if (Buffer.byteLength(xml, 'utf8') > MAX_DOMAIN_XML_BYTES) {
    throw new InvalidArgument(field, `larger than ${MAX_DOMAIN_XML_BYTES} bytes`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new InvalidArgument(field, 'DTDs and entities are not allowed');
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- as XMLBuilder above (fast-xml-validator)
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new InvalidArgument(field, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
}
