// libvirt/xml-cache.ts: parsed domain XML kept by the document's content,
// bounded by entries and by bytes, least recently used dropped first.
import { describe, expect, it } from 'vitest';

import { parseDomainXml } from '../../src/libvirt/domain-xml';
import { ParsedXmlCache } from '../../src/libvirt/xml-cache';

function doc(name: string, disk = 'vda'): string {
  return `<domain type="test"><name>${name}</name><uuid>11111111-1111-4111-8111-111111111111</uuid><devices>`
    + `<disk type="file" device="disk"><source file="/var/lib/${name}/${disk}"/><target dev="${disk}" bus="virtio"/></disk>`
    + '</devices></domain>';
}

describe('parsed XML cache', () => {
  it('answers the same document from the cache, and a changed document with a new parse', () => {
    const cache = new ParsedXmlCache({ maxEntries: 10, maxBytes: 1 << 20 });
    const a = cache.parse(doc('a'));
    expect(a).toEqual(parseDomainXml(doc('a')));
    expect(cache.parse(doc('a'))).toBe(a); // same object: not parsed again
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
    // The same domain with another disk is another document: never the old answer.
    const changed = cache.parse(doc('a', 'vdb'));
    expect(changed.disks.map((d) => d.targetDev)).toEqual(['vdb']);
    expect(cache.misses).toBe(2);
  });

  it('is bounded by entries: the least recently used goes first', () => {
    const cache = new ParsedXmlCache({ maxEntries: 2, maxBytes: 1 << 20 });
    const a = cache.parse(doc('a'));
    cache.parse(doc('b'));
    cache.parse(doc('a')); // a is now the most recent
    cache.parse(doc('c')); // b goes
    expect(cache.size).toBe(2);
    expect(cache.parse(doc('a'))).toBe(a);
    const misses = cache.misses;
    cache.parse(doc('b'));
    expect(cache.misses).toBe(misses + 1);
  });

  it('is bounded by bytes; a document larger than the budget is parsed but not kept', () => {
    const one = doc('a').length;
    const cache = new ParsedXmlCache({ maxEntries: 100, maxBytes: one * 2 + 1 });
    for (const n of ['a', 'b', 'c', 'd']) cache.parse(doc(n));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(one * 2 + 1);
    const big = doc('e'.repeat(one * 3));
    expect(cache.parse(big).name).toBe('e'.repeat(one * 3));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(one * 2 + 1);
  });
});
