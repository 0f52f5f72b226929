// Parsed domain XML by content. Reads (GetDomain, ListDomains, PowerOff's
// guest-agent check, the disk-reference scans of Destroy) parse the same
// documents again and again; parsing costs more than the libvirt call that
// fetched them. The key is the XML text itself, so a changed domain is a
// different key and can never be answered from an older parse. Bounded by
// entries and by the bytes of the documents held; least recently used go
// first. The parsed values are shared: callers must not modify them.
import { parseDomainXml, type DomainXmlInfo } from './domain-xml';

export interface XmlCacheLimits {
  maxEntries: number;
  /** Sum of the cached documents' lengths (UTF-16 code units, about bytes for XML). */
  maxBytes: number;
}

export class ParsedXmlCache {
  private readonly map = new Map<string, Readonly<DomainXmlInfo>>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(readonly limits: XmlCacheLimits) {}

  /** parseDomainXml(xml), from the cache when this exact document was parsed before. */
  parse(xml: string): Readonly<DomainXmlInfo> {
    const found = this.map.get(xml);
    if (found) {
      this.hits++;
      // Most recently used last.
      this.map.delete(xml);
      this.map.set(xml, found);
      return found;
    }
    this.misses++;
    const parsed = parseDomainXml(xml);
    // A document bigger than the whole budget is parsed but not kept.
    if (xml.length > this.limits.maxBytes || this.limits.maxEntries < 1) return parsed;
    this.map.set(xml, parsed);
    this.held += xml.length;
    while (this.map.size > this.limits.maxEntries || this.held > this.limits.maxBytes) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
      this.held -= oldest.length;
    }
    return parsed;
  }

  get size(): number {
    return this.map.size;
  }

  /** Length of the documents held. */
  get bytes(): number {
    return this.held;
  }
}

/**
 * The agent's cache: a host's domains, live and inactive documents (3-8 KB
 * each, typically), within 1,024 documents and 8 MiB of text (the parsed
 * values hold about as much again).
 */
export const domainXmlCache = new ParsedXmlCache({ maxEntries: 1024, maxBytes: 8 << 20 });

/** parseDomainXml through the agent's cache (the result is shared: read it, never change it). */
export function parseDomainXmlCached(xml: string): Readonly<DomainXmlInfo> {
  return domainXmlCache.parse(xml);
}
