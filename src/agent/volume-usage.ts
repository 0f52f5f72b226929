// HostVolumeUsage from libvirt: every disk of every domain on this host (live
// XML for running domains, the definition for stopped ones), so connectors can
// tell whether a mount or session still has other users.
import { parseDomainXmlCached } from '../libvirt/xml-cache';
import type { Host } from '../libvirt/host';
import type { DiskSource, HostVolumeUsage } from './volume';

export function hostVolumeUsage(host: Host, exclude?: { uuid: string; targetDev: string }): HostVolumeUsage {
  return {
    async otherDiskSources(): Promise<DiskSource[]> {
      const out: DiskSource[] = [];
      // Every domain's live XML in one binding job.
      for (const { guest: g, facts } of await host.describeAll()) {
        if (!facts) continue; // undefined meanwhile
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
