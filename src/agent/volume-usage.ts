// HostVolumeUsage from libvirt: every disk of every domain on this host (live
// XML for running domains, the definition for stopped ones), so connectors can
// tell whether a mount or session still has other users.
import { parseDomainXml } from '../libvirt/domain-xml';
import type { Host } from '../libvirt/host';
import type { DiskSource, HostVolumeUsage } from './volume';

export function hostVolumeUsage(host: Host, exclude?: { uuid: string; targetDev: string }): HostVolumeUsage {
  return {
    async otherDiskSources(): Promise<DiskSource[]> {
      const guests = await host.domains();
      const out: DiskSource[] = [];
      for (const g of guests) {
        let xml: string;
        try {
          xml = await g.xml();
        } catch {
          continue; // undefined meanwhile
        }
        for (const d of parseDomainXml(xml).disks) {
          if (exclude && g.uuid === exclude.uuid && d.targetDev === exclude.targetDev) continue;
          const source = d.type === 'network' ? `${d.protocol}:${d.source}` : d.source;
          if (source) out.push({ domain: g.name, targetDev: d.targetDev, type: d.type, source });
        }
      }
      return out;
    },
  };
}
