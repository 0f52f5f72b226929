// Loads the project's N-API addon (built by `npm ci` through node-gyp from
// binding.gyp + src/native/) and types its raw surface. Only src/libvirt/
// talks to this module; everything else uses LibvirtConnection and Guest.
import path from 'node:path';

export interface NativeEvent {
  kind: 'lifecycle' | 'deviceRemoved' | 'deviceRemovalFailed' | 'close';
  name?: string;
  uuid?: string;
  id?: number;
  event?: number;
  detail?: number;
  alias?: string;
  reason?: number;
}

export interface NativeDomain {
  getName(): string;
  getUUIDString(): string;
  getID(): number;
  getState(): Promise<{ state: number; reason: number }>;
  isActive(): Promise<number>;
  isPersistent(): Promise<number>;
  hasManagedSaveImage(flags?: number): Promise<number>;
  getXMLDesc(flags?: number): Promise<string>;
  snapshotNum(flags?: number): Promise<number>;
  snapshotCreateXML(xml: string, flags?: number): Promise<number>;
  attachDeviceFlags(xml: string, flags?: number): Promise<number>;
  detachDeviceFlags(xml: string, flags?: number): Promise<number>;
  createWithFlags(flags?: number): Promise<number>;
  shutdownFlags(flags?: number): Promise<number>;
  destroyFlags(flags?: number): Promise<number>;
  undefineFlags(flags?: number): Promise<number>;
  managedSave(flags?: number): Promise<number>;
  managedSaveRemove(flags?: number): Promise<number>;
  reset(flags?: number): Promise<number>;
  suspend(): Promise<number>;
  resume(): Promise<number>;
}

export interface NativeConnect {
  close(): Promise<number>;
  isAlive(): boolean;
  setKeepAlive(intervalSeconds: number, count: number): Promise<number>;
  setEventHandler(handler: (e: NativeEvent) => void): void;
  registerDomainEvent(eventId: number): Promise<number>;
  deregisterDomainEvent(callbackId: number): Promise<void>;
  registerCloseCallback(): Promise<void>;
  getHostname(): Promise<string>;
  getLibVersion(): Promise<number>;
  getVersion(): Promise<number>;
  getURI(): Promise<string>;
  lookupByName(name: string): Promise<NativeDomain>;
  lookupByUUIDString(uuid: string): Promise<NativeDomain>;
  defineXML(xml: string, flags?: number): Promise<NativeDomain>;
  createXML(xml: string, flags?: number): Promise<NativeDomain>;
  listAllDomains(flags?: number): Promise<NativeDomain[]>;
}

export interface NativeAddon {
  open(uri: string, readonly?: boolean): Promise<NativeConnect>;
  getLibraryVersion(): number;
}

let addon: NativeAddon | undefined;

/** The addon, loaded on first use from build/Release at the package root. */
export function native(): NativeAddon {
  if (addon === undefined) {
    // Same relative location from src/libvirt (vitest) and dist/libvirt (compiled).
    const file = path.resolve(__dirname, '..', '..', 'build', 'Release', 'virt_libvirt.node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as NativeAddon;
  }
  return addon;
}
