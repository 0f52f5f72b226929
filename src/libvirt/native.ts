// Loads the project's N-API addon (built by `npm ci` through node-gyp from
// binding.gyp + src/native/) and types its raw surface. Only src/libvirt/
// talks to this module; everything else uses LibvirtConnection and Guest.
import path from 'node:path';

import type { CloseReason, DomainState, LifecycleEvent } from './constants';

export interface NativeEvent {
  kind: 'lifecycle' | 'deviceRemoved' | 'deviceRemovalFailed' | 'close';
  name?: string;
  uuid?: string;
  id?: number;
  event?: LifecycleEvent;
  detail?: number;
  alias?: string;
  reason?: CloseReason;
}

export interface NativeDomain {
  getName(): string;
  getUUIDString(): string;
  getID(): number;
  getState(): Promise<{ state: DomainState; reason: number }>;
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

/** A pool of the binding's own threads (src/native/pool.h). */
export interface NativePool {
  /** Raise or lower the thread limit (1-1024); threads start as work needs them. */
  setMaxThreads(n: number): void;
  stats(): { max: number; threads: number; busy: number; queued: number };
}

export interface NativeStat {
  dev: number;
  ino: number;
  mode: number;
  size: number;
  mtimeMs: number;
  isFile: boolean;
  isDirectory: boolean;
  isBlockDevice: boolean;
}

/**
 * File-system calls on the storage pool (src/native/storage.cc). Failures
 * reject with an Error carrying errno (negative, as Node's fs), syscall, path.
 */
export interface NativeStorage extends NativePool {
  stat(path: string): Promise<NativeStat>;
  realpath(path: string): Promise<string>;
  /** realpath of each path in one job: the resolved path, or that path's errno (negative). */
  realpathMany(paths: string[]): Promise<Array<string | number>>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** rm -r without following symlinks or crossing mounts; resolves to the entries removed. */
  rmTree(path: string): Promise<number>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** mkdir -p with mode; an existing directory is fine. */
  mkdir(path: string, mode: number): Promise<void>;
  readFile(path: string, maxBytes: number): Promise<string>;
  /** Writes to an existing file only. */
  writeFile(path: string, data: string): Promise<void>;
}

/** What GetDomain / ListDomains report about a domain, read in one job (src/native/describe.cc). */
export interface NativeFacts {
  state: DomainState;
  reason: number;
  active: boolean;
  persistent: boolean;
  managedSave: boolean;
  xml: string;
  /** describe.all(..., withInactive): a persistent domain's definition; "" for a transient one. */
  inactiveXml?: string;
}

/**
 * One pool job per call instead of one per libvirt call. A failed step
 * rejects with the LibvirtError fields and `call`: the libvirt function that
 * failed. `inactiveIfPersistent` adds VIR_DOMAIN_XML_INACTIVE to xmlFlags for
 * a persistent domain.
 */
export interface NativeDescribe {
  domain(domain: NativeDomain, xmlFlags: number, inactiveIfPersistent: boolean): Promise<NativeFacts>;
  lookup(conn: NativeConnect, byUuid: boolean, key: string, xmlFlags: number, inactiveIfPersistent: boolean):
    Promise<{ domain: NativeDomain; facts: NativeFacts }>;
  /** Every domain virConnectListAllDomains(listFlags) returns; one whose reads failed carries `error` instead of `facts`. */
  all(conn: NativeConnect, listFlags: number, xmlFlags: number, withInactive: boolean):
    Promise<Array<{ domain: NativeDomain; facts?: NativeFacts; error?: unknown }>>;
}

export interface NativeAddon {
  open(uri: string, readonly?: boolean): Promise<NativeConnect>;
  getLibraryVersion(): number;
  /** The threads every libvirt call runs on (default 8). */
  libvirtPool: NativePool;
  storage: NativeStorage;
  describe: NativeDescribe;
  /** Opens (creating 0600) and flock(LOCK_EX|LOCK_NB)s path; returns the fd. Throws with `holder` (the file's content) when locked. */
  lockFile(path: string): number;
  unlockFile(fd: number): void;
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
