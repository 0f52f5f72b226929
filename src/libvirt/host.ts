// The Host owns the agent's libvirt connection: opens it, re-emits its events,
// notices when it dies (close callback or a connection error on a call) and
// reconnects with backoff, re-registering events on the new connection.
// While disconnected every call fails fast with Unavailable (retryable).
//
// It is also where the agent meets libvirt: every call the flows and read
// handlers make goes through it (call(), lookup(), domains(), define(),
// create()) or through a Guest it handed out, and every libvirt failure
// leaves it translated once into the project's taxonomy (libvirt/errors.ts),
// the LibvirtError kept as the cause.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

import { NotFound, Unavailable } from '../errors';
import { nameOf } from '../enums';
import { CloseReason } from './constants';
import {
  LibvirtConnection, type DeviceEventInfo, type LifecycleEventInfo, type OpenOptions,
} from './connection';
import { connectionError, domainError, isConnectionError } from './errors';
import type { DomainFacts, Guest, XmlWanted } from './guest';

export interface DomainRef {
  name?: string;
  uuid?: string;
}

/** A domain of describeAll(): its facts, or why they could not be read. */
export type DescribedDomain = { guest: Guest; facts: DomainFacts; error?: undefined } | { guest: Guest; facts?: undefined; error: unknown };

export interface HostEvents {
  lifecycle: [LifecycleEventInfo];
  deviceRemoved: [DeviceEventInfo];
  deviceRemovalFailed: [DeviceEventInfo];
  connected: [];
  disconnected: [string];
}

export interface HostOptions {
  uri: string;
  logger: Logger;
  keepalive?: OpenOptions['keepalive'];
  /** First and largest delay between reconnect attempts. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export class Host extends EventEmitter<HostEvents> {
  readonly uri: string;
  private readonly logger: Logger;
  private conn: LibvirtConnection | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private connecting: Promise<void> | null = null;
  /** How many times a lost connection was re-established. */
  reconnects = 0;

  constructor(private readonly options: HostOptions) {
    super();
    this.uri = options.uri;
    this.logger = options.logger;
    this.backoffMs = options.reconnectMinMs ?? 200;
    // Flows wait on events from many places at once.
    this.setMaxListeners(0);
  }

  get connected(): boolean {
    return this.conn !== null && this.conn.isAlive();
  }

  /** Opens the connection. Throws when the first attempt fails and `required`. */
  async start(required = false): Promise<void> {
    this.stopped = false;
    try {
      await this.connect();
    } catch (err) {
      if (required) throw err;
      this.scheduleReconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.conn;
    this.conn = null;
    if (c) await c.close().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      try {
        const c = await LibvirtConnection.open(this.uri, { keepalive: this.options.keepalive });
        if (this.stopped) {
          await c.close();
          return;
        }
        c.on('lifecycle', (e) => this.emit('lifecycle', e));
        c.on('deviceRemoved', (e) => this.emit('deviceRemoved', e));
        c.on('deviceRemovalFailed', (e) => this.emit('deviceRemovalFailed', e));
        c.on('close', (reason) => this.lost(c, `connection closed (${nameOf(CloseReason, reason) ?? reason})`));
        const wasReconnect = this.reconnects > 0 || this.everConnected;
        this.conn = c;
        this.everConnected = true;
        this.backoffMs = this.options.reconnectMinMs ?? 200;
        this.logger.info({ uri: this.uri, reconnect: wasReconnect }, 'libvirt connected');
        this.emit('connected');
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private everConnected = false;

  private lost(c: LibvirtConnection, why: string): void {
    if (this.conn !== c) return;
    this.conn = null;
    this.logger.warn({ uri: this.uri, why }, 'libvirt connection lost');
    this.emit('disconnected', why);
    void c.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        () => {
          this.reconnects++;
        },
        (err: unknown) => {
          this.logger.debug({ err, uri: this.uri }, 'libvirt reconnect failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
    // A pending reconnect alone must not keep a stopping process alive.
    this.timer.unref();
  }

  /** The live connection, or Unavailable. */
  connection(): LibvirtConnection {
    if (this.conn === null || !this.conn.isAlive()) {
      if (this.conn !== null) this.lost(this.conn, 'connection not alive');
      throw new Unavailable(`libvirt at ${this.uri} is not connected`);
    }
    return this.conn;
  }

  /**
   * Runs fn on the live connection; a connection-level failure marks the
   * connection lost (so the Host reconnects) and becomes Unavailable, any
   * other libvirt failure an AppError saying `what` was being done.
   */
  async call<T>(fn: (c: LibvirtConnection) => Promise<T>, what?: string): Promise<T> {
    const c = this.connection();
    try {
      return await fn(c);
    } catch (err) {
      if (isConnectionError(err) || !c.isAlive()) {
        this.lost(c, err instanceof Error ? err.message : String(err));
        throw new Unavailable(`libvirt at ${this.uri}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      throw connectionError(err, what);
    }
  }

  /** Looks a domain up by uuid or name; NotFound when libvirt has no such domain. */
  async lookup(ref: DomainRef): Promise<Guest> {
    // NO_DOMAIN becomes NotFound("domain 'x' not found").
    return this.adopt(await this.call((c) => (ref.uuid ? c.lookupByUUID(ref.uuid) : c.lookupByName(ref.name ?? '')), describeRef(ref)));
  }

  /**
   * lookup() and Guest.describe() in one binding job: what GetDomain reports.
   * NotFound when libvirt has no such domain (also when it went away between
   * the lookup and the reads).
   */
  async describe(ref: DomainRef, xml: XmlWanted = {}): Promise<{ guest: Guest; facts: DomainFacts }> {
    const r = await this.call((c) => c.lookupDescribed(ref, xml), describeRef(ref));
    return { guest: this.adopt(r.guest), facts: r.facts };
  }

  /**
   * Every domain libvirt knows, each described (live XML; with `withInactive`
   * also a persistent domain's definition, Facts.inactiveXml), all in one
   * binding job. A domain whose reads failed carries its error (in the
   * taxonomy, naming it) instead of facts: undefined while being read
   * (NotFound), or worse.
   */
  async describeAll(withInactive = false): Promise<DescribedDomain[]> {
    const list = await this.call((c) => c.listDescribed(withInactive), 'listing domains');
    return list.map((e) => {
      const guest = e.guest.inTaxonomy();
      return e.facts ? { guest, facts: e.facts } : { guest, error: domainError(e.error, guest.name) };
    });
  }

  /** Every domain libvirt knows (running and defined). */
  async domains(): Promise<Guest[]> {
    return (await this.call((c) => c.listAllDomains(), 'listing domains')).map((g) => g.inTaxonomy());
  }

  /** Defines a persistent domain from XML (failures name the field "xml"). */
  async define(xml: string): Promise<Guest> {
    return (await this.call((c) => c.defineXML(xml), 'defining domain')).inTaxonomy();
  }

  /** Creates (and starts) a transient domain from XML; `what` names it in failures (default "defining domain"). */
  async create(xml: string, what = 'defining domain'): Promise<Guest> {
    return (await this.call((c) => c.createXML(xml), what)).inTaxonomy();
  }

  /** A Guest lookup() found, as the agent uses it: its failures in the taxonomy (tests inject faults here). */
  protected adopt(guest: Guest): Guest {
    return guest.inTaxonomy();
  }

  /** Like describe, but null instead of NotFound. */
  findDescribed(ref: DomainRef, xml: XmlWanted = {}): Promise<{ guest: Guest; facts: DomainFacts } | null> {
    return nullIfNotFound(this.describe(ref, xml));
  }

  /** Like lookup, but null instead of NotFound. */
  find(ref: DomainRef): Promise<Guest | null> {
    return nullIfNotFound(this.lookup(ref));
  }
}

async function nullIfNotFound<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NotFound) return null;
    throw err;
  }
}

export function describeRef(ref: DomainRef): string {
  return ref.uuid ? `domain ${ref.uuid}` : `domain '${ref.name ?? ''}'`;
}
