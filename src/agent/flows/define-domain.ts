// DefineDomain: define a persistent domain from the client's XML (and start it
// when asked), or create a transient one (started at once) and keep a copy of
// its XML under the state directory so HardReboot can start it again after
// libvirt forgot it. The XML was screened by the server (domain-xml.ts
// screenXml); libvirt judges the rest, its content errors naming "xml".
import { DomainXMLFlags } from '../../libvirt/constants';
import { parseDomainXml } from '../../libvirt/domain-xml';
import type { DomainRef } from '../../libvirt/host';
import { describeDomain, type DomainInfo } from '../domain-info';
import type { FlowDeps, OpContext } from './types';

export interface DefineDomainInput {
  xml: string;
  start: boolean;
  transient: boolean;
}

/**
 * Which domain the XML defines, for the per-domain queue: its name (and its
 * uuid as well when it has both), so a DefineDomain never runs alongside
 * another operation on the same domain. Nothing when the XML cannot be read
 * here (libvirt will say what is wrong with it).
 */
export function definedDomain(xml: string): { ref?: DomainRef; also?: DomainRef } {
  try {
    const { name, uuid } = parseDomainXml(xml);
    return { ref: name ? { name } : uuid ? { uuid } : undefined, also: name && uuid ? { uuid } : undefined };
  } catch {
    return {};
  }
}

export async function defineDomain(deps: FlowDeps, _ctx: OpContext, input: DefineDomainInput): Promise<DomainInfo> {
  const { host } = deps;
  if (input.transient) {
    const guest = await host.create(input.xml);
    await deps.store.save(guest.uuid, await guest.xml(DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE));
    return describeDomain(guest);
  }
  const guest = await host.define(input.xml);
  if (input.start && !(await guest.isActive())) {
    await guest.create();
    // A Guest keeps the id it was looked up with (-1 before the start).
    return describeDomain(await host.lookup({ uuid: guest.uuid }));
  }
  return describeDomain(guest);
}
