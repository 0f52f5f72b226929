// HostVolumeUsage from libvirt: every disk of every domain on this host (live
// XML for running domains, the definition for stopped ones), so connectors can
// tell whether a mount or session still has other users. A domain whose
// disks cannot be read makes the answer unknown: that is thrown (the
// connectors then keep the mount, session or mapping), never read as "no
// users"; only a domain undefined meanwhile (NO_DOMAIN) uses nothing.
import { ErrorCode, hasLibvirtCode } from '../libvirt/errors';
import { parseDomainXmlCached } from '../libvirt/xml-cache';
import type { Host } from '../libvirt/host';
import type { DiskSource, HostVolumeUsage } from './volume';

export function hostVolumeUsage(host: Host, exclude?: { uuid: string; targetDev: string }): HostVolumeUsage {
  return {
    async otherDiskSources(): Promise<DiskSource[]> {
      const out: DiskSource[] = [];
      // Every domain's live XML in one binding job.
      for (const { guest: g, facts, error } of await host.describeAll()) {
        if (!facts) {
          if (hasLibvirtCode(error, ErrorCode.NO_DOMAIN)) continue; // undefined meanwhile
          throw error;
        }
        for (const d of parseDomainXmlCached(facts.xml).disks) {
          if (exclude && g.uuid === exclude.uuid && d.targetDev === exclude.targetDev) continue;
          const source = d.type === 'network' ? `${d.protocol}:${d.source}` : d.source;
          if (source) out.push({ domain: g.name, targetDev: d.targetDev, type: d.type, source });
        }
      }
      return out;
    },
  };
}
