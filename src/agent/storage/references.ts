// What every OTHER domain libvirt knows (running or defined) references:
// file and block paths (canonical, backing chains included) and RBD images,
// from both the live XML and the persistent definition. A disk that appears
// here is never removed on behalf of the instance being deleted.
import { ErrorCode, hasLibvirtCode } from '../../libvirt/errors';
import type { Host } from '../../libvirt/host';
import { parseDomainXmlCached } from '../../libvirt/xml-cache';
import { canonicalPaths } from '../host-fs';
import { isInside } from '../volume/validate';

export interface HostReferences {
  /** canonical path → the domains referencing it */
  paths: Map<string, string[]>;
  /** "pool/image" → the domains referencing it */
  rbd: Map<string, string[]>;
}

function add(map: Map<string, string[]>, key: string, domain: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [domain]);
  else if (!list.includes(domain)) list.push(domain);
}

/**
 * Reads every domain except `excludeUuid`. A domain that disappears while
 * being read no longer references anything; any other failure is thrown (the
 * caller then cannot know ownership and keeps everything).
 */
export async function otherDomainReferences(host: Host, excludeUuid: string): Promise<HostReferences> {
  const refs: HostReferences = { paths: new Map(), rbd: new Map() };
  const raw: Array<{ path: string; domain: string }> = [];
  // Every domain's live XML and definition in one binding job.
  for (const { guest: g, facts, error } of await host.describeAll(true)) {
    if (g.uuid.toLowerCase() === excludeUuid.toLowerCase()) continue;
    if (!facts) {
      if (hasLibvirtCode(error, ErrorCode.NO_DOMAIN)) continue;
      throw error;
    }
    const xmls = facts.persistent && facts.inactiveXml ? [facts.xml, facts.inactiveXml] : [facts.xml];
    const paths = new Set<string>();
    for (const xml of xmls) {
      for (const d of parseDomainXmlCached(xml).disks) {
        for (const p of [d.path, ...d.backingPaths]) if (p) paths.add(p);
        if (d.type === 'network' && d.protocol === 'rbd' && d.source) add(refs.rbd, d.source, g.name);
      }
    }
    for (const p of paths) raw.push({ path: p, domain: g.name });
  }
  // Every path at once, a native job per mount point: a host's hundreds of
  // disks cost a few pool hops, and a dead mount one deadline.
  const canonical = await canonicalPaths(raw.map((r) => r.path));
  raw.forEach((r, i) => add(refs.paths, canonical[i]!, r.domain));
  return refs;
}

/** Referenced paths at or below `dir`, with who references them. */
export function referencesInside(refs: HostReferences, dir: string): Array<{ path: string; domains: string[] }> {
  return [...refs.paths.entries()].filter(([p]) => isInside(dir, p)).map(([path, domains]) => ({ path, domains }));
}
