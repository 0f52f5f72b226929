// What the agent reports about one domain (GetDomain, ListDomains, and
// DefineDomain's answer): its state and reason, persistence, managed-save
// image, runtime id and disks, read from libvirt in one binding job
// (Guest.describe / Host.describe), the disks parsed once per distinct XML
// (xml-cache.ts).
import type { DomainState } from '../libvirt/constants';
import type { DomainFacts, Guest } from '../libvirt/guest';
import { parseDomainXmlCached } from '../libvirt/xml-cache';

/** One disk as reported (the proto's Disk). */
export interface DiskSummary {
  targetDev: string;
  source: string;
  type: string;
  device: string;
  bus: string;
  protocol: string;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  state: DomainState;
  reason: number;
  persistent: boolean;
  hasManagedSave: boolean;
  /** libvirt's runtime id when the Guest was looked up; -1 when not running. */
  id: number;
  disks: readonly DiskSummary[];
}

/** The report of a domain from what Guest.describe() read (live XML). */
export function domainInfo(guest: Guest, facts: DomainFacts): DomainInfo {
  const { state, reason, persistent, managedSave } = facts;
  // The parsed DiskInfo objects are shared by the cache: read, not copied.
  const disks = parseDomainXmlCached(facts.xml).disks;
  return { name: guest.name, uuid: guest.uuid, state, reason, persistent, hasManagedSave: managedSave, id: guest.id, disks };
}

export async function describeDomain(guest: Guest): Promise<DomainInfo> {
  return domainInfo(guest, await guest.describe());
}
