// Guest calls only the tests make (snapshots, device attach, managed save,
// reset, suspend/resume), added to src's Guest here so the agent ships none
// of them. Loaded before every test file (vitest.config.mts setupFiles).
import { Guest } from '../../src/libvirt/guest';
import type { NativeDomain } from '../../src/libvirt/native';

declare module '../../src/libvirt/guest' {
  interface Guest {
    snapshotCount(): Promise<number>;
    createSnapshot(xml: string, flags?: number): Promise<void>;
    attachDevice(xml: string, flags: number): Promise<void>;
    managedSave(flags?: number): Promise<void>;
    reset(): Promise<void>;
    suspend(): Promise<void>;
    resume(): Promise<void>;
  }
}

/** Guest's protected members, for the methods below (they behave as Guest's own). */
interface Inner {
  dom: NativeDomain;
  call<T>(name: string, fn: () => Promise<T>, args?: readonly unknown[]): Promise<T>;
}
const inner = (g: Guest): Inner => g as unknown as Inner;

Object.assign(Guest.prototype, {
  snapshotCount(this: Guest): Promise<number> {
    const g = inner(this);
    return g.call('virDomainSnapshotNum', () => g.dom.snapshotNum(0));
  },
  async createSnapshot(this: Guest, xml: string, flags = 0): Promise<void> {
    const g = inner(this);
    await g.call('virDomainSnapshotCreateXML', () => g.dom.snapshotCreateXML(xml, flags));
  },
  async attachDevice(this: Guest, xml: string, flags: number): Promise<void> {
    const g = inner(this);
    await g.call('virDomainAttachDeviceFlags', () => g.dom.attachDeviceFlags(xml, flags), [xml]);
  },
  async managedSave(this: Guest, flags = 0): Promise<void> {
    const g = inner(this);
    await g.call('virDomainManagedSave', () => g.dom.managedSave(flags));
  },
  async reset(this: Guest): Promise<void> {
    const g = inner(this);
    await g.call('virDomainReset', () => g.dom.reset(0));
  },
  async suspend(this: Guest): Promise<void> {
    const g = inner(this);
    await g.call('virDomainSuspend', () => g.dom.suspend());
  },
  async resume(this: Guest): Promise<void> {
    const g = inner(this);
    await g.call('virDomainResume', () => g.dom.resume());
  },
});
