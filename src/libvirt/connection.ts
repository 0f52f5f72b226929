// One open libvirt connection: lookups, definitions and its events as a
// typed EventEmitter. Reconnecting is the Host's job (src/libvirt/host.ts).
import { EventEmitter } from 'node:events';

import { CloseReason, EventId, LifecycleEvent } from './constants';
import { asLibvirtError, ErrorCode, isLibvirtError, wrap } from './errors';
import { Guest, type DomainFacts, type XmlWanted } from './guest';
import { native, type NativeConnect, type NativeEvent } from './native';

export interface DomainEventBase {
  name: string;
  uuid: string;
  /** runtime id when the event was raised; -1 when not running */
  id: number;
  /** Date.now() when the event reached JS */
  receivedAt: number;
}

export interface LifecycleEventInfo extends DomainEventBase {
  event: LifecycleEvent;
  detail: number;
}

export interface DeviceEventInfo extends DomainEventBase {
  alias: string;
}

export interface ConnectionEvents {
  lifecycle: [LifecycleEventInfo];
  deviceRemoved: [DeviceEventInfo];
  deviceRemovalFailed: [DeviceEventInfo];
  close: [CloseReason];
}

export interface OpenOptions {
  readonly?: boolean;
  /** Register lifecycle and device events (default true). */
  events?: boolean;
  /** Keepalive interval in seconds and missed-reply count; remote URIs only. */
  keepalive?: { intervalSeconds: number; count: number };
}

/** "9.0.0" from libvirt's major*1,000,000 + minor*1,000 + micro. */
export function formatVersion(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
}

export function libraryVersion(): string {
  return formatVersion(native().getLibraryVersion());
}

export class LibvirtConnection extends EventEmitter<ConnectionEvents> {
  private closed = false;

  private constructor(
    private readonly conn: NativeConnect,
    readonly uri: string,
  ) {
    super();
  }

  static async open(uri: string, options: OpenOptions = {}): Promise<LibvirtConnection> {
    const raw = await wrap('virConnectOpen', () => native().open(uri, options.readonly ?? false));
    const c = new LibvirtConnection(raw, uri);
    if (options.events ?? true) {
      try {
        raw.setEventHandler((e) => c.dispatch(e));
        for (const id of [EventId.LIFECYCLE, EventId.DEVICE_REMOVED, EventId.DEVICE_REMOVAL_FAILED]) {
          await wrap('virConnectDomainEventRegisterAny', () => raw.registerDomainEvent(id));
        }
        await wrap('virConnectRegisterCloseCallback', () => raw.registerCloseCallback());
        if (options.keepalive) {
          const { intervalSeconds, count } = options.keepalive;
          // Returns 1 when the remote party has no keepalive; drivers without a
          // keepalive at all (test://, embedded) fail with NO_SUPPORT: fine too.
          await wrap('virConnectSetKeepAlive', () => raw.setKeepAlive(intervalSeconds, count)).catch((err: unknown) => {
            if (!isLibvirtError(err, ErrorCode.NO_SUPPORT)) throw err;
          });
        }
      } catch (err) {
        await c.close().catch(() => undefined);
        throw err;
      }
    }
    return c;
  }

  private dispatch(e: NativeEvent): void {
    // Events the loop thread queued before close() may still arrive after it.
    if (this.closed) return;
    const base = { name: e.name ?? '', uuid: e.uuid ?? '', id: e.id ?? -1, receivedAt: Date.now() };
    switch (e.kind) {
      case 'lifecycle':
        this.emit('lifecycle', { ...base, event: e.event ?? LifecycleEvent.DEFINED, detail: e.detail ?? 0 });
        break;
      case 'deviceRemoved':
        this.emit('deviceRemoved', { ...base, alias: e.alias ?? '' });
        break;
      case 'deviceRemovalFailed':
        this.emit('deviceRemovalFailed', { ...base, alias: e.alias ?? '' });
        break;
      case 'close':
        this.emit('close', e.reason ?? CloseReason.ERROR);
        break;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** False once closed or when libvirt reports the connection dead. */
  isAlive(): boolean {
    return !this.closed && this.conn.isAlive();
  }

  /** Deregisters every callback and closes; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await wrap('virConnectClose', () => this.conn.close());
  }

  hostname(): Promise<string> {
    return wrap('virConnectGetHostname', () => this.conn.getHostname());
  }

  async libVersion(): Promise<string> {
    return formatVersion(await wrap('virConnectGetLibVersion', () => this.conn.getLibVersion()));
  }

  async hypervisorVersion(): Promise<string> {
    return formatVersion(await wrap('virConnectGetVersion', () => this.conn.getVersion()));
  }

  async lookupByName(name: string): Promise<Guest> {
    return new Guest(await wrap('virDomainLookupByName', () => this.conn.lookupByName(name)));
  }

  async lookupByUUID(uuid: string): Promise<Guest> {
    return new Guest(await wrap('virDomainLookupByUUIDString', () => this.conn.lookupByUUIDString(uuid)));
  }

  /** Looks a domain up and describes it (Guest.describe) in one binding job. */
  async lookupDescribed(ref: { name?: string; uuid?: string }, xml: XmlWanted = {}): Promise<{ guest: Guest; facts: DomainFacts }> {
    const byUuid = ref.uuid !== undefined;
    const r = await wrap(byUuid ? 'virDomainLookupByUUIDString' : 'virDomainLookupByName',
      () => native().describe.lookup(this.conn, byUuid, ref.uuid ?? ref.name ?? '', xml.flags ?? 0, xml.inactiveIfPersistent ?? false));
    return { guest: new Guest(r.domain), facts: r.facts };
  }

  /**
   * Every domain, each described (Guest.describe, live XML; with
   * `withInactive` a persistent domain's definition too) in the same one
   * binding job; a domain whose reads failed (undefined meanwhile) carries
   * its LibvirtError instead.
   */
  async listDescribed(withInactive = false): Promise<Array<{ guest: Guest; facts?: DomainFacts; error?: unknown }>> {
    const list = await wrap('virConnectListAllDomains', () => native().describe.all(this.conn, 0, 0, withInactive));
    return list.map((e) => {
      const guest = new Guest(e.domain);
      if (e.facts) return { guest, facts: e.facts };
      return { guest, error: asLibvirtError(e.error, 'virDomainGetState') };
    });
  }

  async defineXML(xml: string, flags = 0): Promise<Guest> {
    return new Guest(await wrap('virDomainDefineXMLFlags', () => this.conn.defineXML(xml, flags)));
  }

  async createXML(xml: string, flags = 0): Promise<Guest> {
    return new Guest(await wrap('virDomainCreateXML', () => this.conn.createXML(xml, flags)));
  }

  async listAllDomains(flags = 0): Promise<Guest[]> {
    const doms = await wrap('virConnectListAllDomains', () => this.conn.listAllDomains(flags));
    return doms.map((d) => new Guest(d));
  }
}
