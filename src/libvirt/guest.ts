// One libvirt domain: promise-returning wrappers over the binding's calls,
// every failure as a LibvirtError naming the call.
import { DomainState } from './constants';
import { wrap } from './errors';
import type { NativeDomain } from './native';

export interface GuestState {
  state: DomainState;
  reason: number;
}

export class Guest {
  readonly name: string;
  readonly uuid: string;
  /** libvirt's runtime id as seen when this object was looked up; -1 when not running. */
  readonly id: number;

  constructor(private readonly dom: NativeDomain) {
    this.name = dom.getName();
    this.uuid = dom.getUUIDString();
    this.id = dom.getID();
  }

  state(): Promise<GuestState> {
    return wrap('virDomainGetState', () => this.dom.getState());
  }

  async isActive(): Promise<boolean> {
    return (await wrap('virDomainIsActive', () => this.dom.isActive())) === 1;
  }

  async isPersistent(): Promise<boolean> {
    return (await wrap('virDomainIsPersistent', () => this.dom.isPersistent())) === 1;
  }

  async hasManagedSaveImage(): Promise<boolean> {
    return (await wrap('virDomainHasManagedSaveImage', () => this.dom.hasManagedSaveImage(0))) === 1;
  }

  xml(flags = 0): Promise<string> {
    return wrap('virDomainGetXMLDesc', () => this.dom.getXMLDesc(flags));
  }

  snapshotCount(): Promise<number> {
    return wrap('virDomainSnapshotNum', () => this.dom.snapshotNum(0));
  }

  async createSnapshot(xml: string, flags = 0): Promise<void> {
    await wrap('virDomainSnapshotCreateXML', () => this.dom.snapshotCreateXML(xml, flags));
  }

  async attachDevice(xml: string, flags: number): Promise<void> {
    await wrap('virDomainAttachDeviceFlags', () => this.dom.attachDeviceFlags(xml, flags));
  }

  async detachDevice(xml: string, flags: number): Promise<void> {
    await wrap('virDomainDetachDeviceFlags', () => this.dom.detachDeviceFlags(xml, flags));
  }

  async create(flags = 0): Promise<void> {
    await wrap('virDomainCreateWithFlags', () => this.dom.createWithFlags(flags));
  }

  async shutdown(flags = 0): Promise<void> {
    await wrap('virDomainShutdownFlags', () => this.dom.shutdownFlags(flags));
  }

  async destroy(flags = 0): Promise<void> {
    await wrap('virDomainDestroyFlags', () => this.dom.destroyFlags(flags));
  }

  async undefine(flags = 0): Promise<void> {
    await wrap('virDomainUndefineFlags', () => this.dom.undefineFlags(flags));
  }

  async managedSave(flags = 0): Promise<void> {
    await wrap('virDomainManagedSave', () => this.dom.managedSave(flags));
  }

  async managedSaveRemove(): Promise<void> {
    await wrap('virDomainManagedSaveRemove', () => this.dom.managedSaveRemove(0));
  }

  async reset(): Promise<void> {
    await wrap('virDomainReset', () => this.dom.reset(0));
  }

  async suspend(): Promise<void> {
    await wrap('virDomainSuspend', () => this.dom.suspend());
  }

  async resume(): Promise<void> {
    await wrap('virDomainResume', () => this.dom.resume());
  }
}
