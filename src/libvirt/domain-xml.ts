// Reading what the agent needs out of libvirt domain XML: disks (for the
// Domain message, disk checks, volume detach and disk removal) and whether a
// guest-agent channel exists. libvirt generates this XML, so it is parsed
// without entity expansion; user-supplied XML is screened by screenXml().
import { XMLParser, XMLValidator } from 'fast-xml-parser';

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
  alias: string;
  /** The <disk> element exactly as libvirt wrote it (used to detach). */
  xml: string;
}

export interface DomainXmlInfo {
  name: string;
  uuid: string;
  disks: DiskInfo[];
  hasGuestAgentChannel: boolean;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: false,
  isArray: (name) => ['disk', 'channel', 'host'].includes(name),
});

type Node = Record<string, unknown>;

function attr(node: unknown, name: string): string {
  if (node && typeof node === 'object') {
    const v = (node as Node)[`@${name}`];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return '';
}

function text(node: unknown): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (node && typeof node === 'object' && '#text' in node) return String((node as Node)['#text']);
  return '';
}

function diskSource(type: string, src: unknown): { source: string; protocol: string; path?: string } {
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

/** Every <disk ...>...</disk> element in document order, as written. */
function diskElements(xml: string): string[] {
  return xml.match(/<disk\b[^>]*?(?:\/>|>[\s\S]*?<\/disk>)/g) ?? [];
}

export function parseDomainXml(xml: string): DomainXmlInfo {
  const doc = parser.parse(xml) as Node;
  const dom = (doc.domain ?? {}) as Node;
  const devices = (dom.devices ?? {}) as Node;
  const rawDisks = (devices.disk as unknown[] | undefined) ?? [];
  const elements = diskElements(xml);
  const disks = rawDisks.map((d, i): DiskInfo => {
    const n = d as Node;
    const type = attr(n, 'type');
    return {
      type,
      device: attr(n, 'device') || 'disk',
      targetDev: attr(n.target, 'dev'),
      bus: attr(n.target, 'bus'),
      ...diskSource(type, n.source),
      alias: attr(n.alias, 'name'),
      xml: elements[i] ?? '',
    };
  });
  const channels = (devices.channel as unknown[] | undefined) ?? [];
  const hasGuestAgentChannel = channels.some((c) => attr((c as Node).target, 'name') === 'org.qemu.guest_agent.0');
  return { name: text(dom.name), uuid: text(dom.uuid), disks, hasGuestAgentChannel };
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
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new InvalidArgument(field, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
}
