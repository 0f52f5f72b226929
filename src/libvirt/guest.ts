// One libvirt domain: promise-returning wrappers over the binding's calls the
// agent makes. A failure is a LibvirtError naming the call; a Guest the
// agent's Host hands out (inTaxonomy()) reports it in the project's taxonomy
// instead, naming the domain and what was done (libvirt/errors.ts
// domainError), with the LibvirtError as its cause.
import type { DomainState } from './constants';
import { domainError, wrap } from './errors';
import { native, type NativeDomain, type NativeFacts } from './native';

export interface GuestState {
  state: DomainState;
  reason: number;
}

/** A domain's state, activity, persistence, managed-save image and XML, read in one binding job. */
export type DomainFacts = NativeFacts;

/** Which XML describe() reads: `flags` (DomainXMLFlags), plus INACTIVE for a persistent domain when asked. */
export interface XmlWanted {
  flags?: number;
  inactiveIfPersistent?: boolean;
}

/** How a Guest reports a failed call. */
export type GuestErrors = 'libvirt' | 'taxonomy';

export class Guest {
  readonly name: string;
  readonly uuid: string;
  /** libvirt's runtime id as seen when this object was looked up; -1 when not running. */
  readonly id: number;

  constructor(
    protected readonly dom: NativeDomain,
    private readonly errors: GuestErrors = 'libvirt',
  ) {
    this.name = dom.getName();
    this.uuid = dom.getUUIDString();
    this.id = dom.getID();
  }

  /** The same domain, its failures as AppErrors naming it (what the agent's Host hands out). */
  inTaxonomy(): Guest {
    return this.errors === 'taxonomy' ? this : new Guest(this.dom, 'taxonomy');
  }

  state(): Promise<GuestState> {
    return this.call('virDomainGetState', () => this.dom.getState());
  }

  async isActive(): Promise<boolean> {
    return (await this.call('virDomainIsActive', () => this.dom.isActive())) === 1;
  }

  async isPersistent(): Promise<boolean> {
    return (await this.call('virDomainIsPersistent', () => this.dom.isPersistent())) === 1;
  }

  async hasManagedSaveImage(): Promise<boolean> {
    return (await this.call('virDomainHasManagedSaveImage', () => this.dom.hasManagedSaveImage(0))) === 1;
  }

  /**
   * state(), isActive(), isPersistent(), hasManagedSaveImage() and xml() in
   * one binding job (one thread hop, one completion); a failure names the
   * libvirt call that failed, as if it had been made alone.
   */
  describe(xml: XmlWanted = {}): Promise<DomainFacts> {
    return this.call('virDomainGetState',
      () => native().describe.domain(this.dom, xml.flags ?? 0, xml.inactiveIfPersistent ?? false));
  }

  xml(flags = 0): Promise<string> {
    return this.call('virDomainGetXMLDesc', () => this.dom.getXMLDesc(flags));
  }

  async detachDevice(xml: string, flags: number): Promise<void> {
    await this.call('virDomainDetachDeviceFlags', () => this.dom.detachDeviceFlags(xml, flags), [xml]);
  }

  async create(flags = 0): Promise<void> {
    await this.call('virDomainCreateWithFlags', () => this.dom.createWithFlags(flags));
  }

  async shutdown(flags = 0): Promise<void> {
    await this.call('virDomainShutdownFlags', () => this.dom.shutdownFlags(flags));
  }

  async destroy(flags = 0): Promise<void> {
    await this.call('virDomainDestroyFlags', () => this.dom.destroyFlags(flags));
  }

  async undefine(flags = 0): Promise<void> {
    await this.call('virDomainUndefineFlags', () => this.dom.undefineFlags(flags));
  }

  async managedSaveRemove(): Promise<void> {
    await this.call('virDomainManagedSaveRemove', () => this.dom.managedSaveRemove(0));
  }

  /** One binding call: its failure as a LibvirtError, or translated (inTaxonomy). */
  protected async call<T>(name: string, fn: () => Promise<T>, args: readonly unknown[] = []): Promise<T> {
    try {
      return await wrap(name, fn);
    } catch (err) {
      throw this.errors === 'taxonomy' ? domainError(err, this.name, args) : err;
    }
  }
}
