// Admission of libvirt calls into the binding. Every call (errors.ts wrap)
// takes a slot here before its job is queued on the binding's libvirt pool
// and gives it back when the result is in, so:
// - at most `limit` calls are in the binding at once (the pool's threads):
//   work beyond that waits here, in arrival order, as a closure — no thread,
//   no native job — and completions come back at most `limit` at a time
//   instead of as a storm of a thousand promise settlements in one turn of
//   the event loop;
// - reads (lookups, state, XML, listings, the watchdog's probe) ride a
//   priority lane: they pass every waiting write, and `reserved` slots are
//   theirs alone, so a flood of writes (or writes stuck in libvirt) never
//   holds every slot. After `burst` priority admissions in a row while writes
//   wait, one write goes: a read flood cannot starve writes either.
// Order within a lane is arrival order. The order of one operation's calls
// is its own (a flow awaits each call before the next), and operations on
// one domain are serialized above this (agent/locks.ts), so admission never
// reorders anything that depends on order.

export type Lane = 'priority' | 'normal';

export interface AdmissionLimits {
  /** Calls in the binding at once (the agent sets the libvirt pool's thread count). */
  limit: number;
  /** Slots only the priority lane may use (kept below limit). */
  reserved: number;
  /** Priority admissions in a row while normal calls wait, before one normal call is admitted. */
  burst: number;
}

export interface AdmissionStats {
  limit: number;
  /** Slots only the priority lane may use. */
  reserved: number;
  inFlight: number;
  /** Calls in the binding, by lane (they add up to inFlight). */
  running: Record<Lane, number>;
  waiting: Record<Lane, number>;
  /** Calls that had to wait for a slot, since start. */
  waited: number;
  /** The same, by lane. */
  waitedByLane: Record<Lane, number>;
  /** Calls given a slot (at once or after waiting), by lane, since start. */
  admitted: Record<Lane, number>;
}

/** A FIFO of waiters with O(1) removal from the front. */
class Fifo {
  private items: Array<() => void> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: () => void): void {
    this.items.push(item);
  }

  shift(): (() => void) | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class Admission {
  private limits: AdmissionLimits;
  private inFlight = 0;
  private normalInFlight = 0;
  private readonly queues: Record<Lane, Fifo> = { priority: new Fifo(), normal: new Fifo() };
  private streak = 0;
  private readonly waited: Record<Lane, number> = { priority: 0, normal: 0 };
  private readonly admitted: Record<Lane, number> = { priority: 0, normal: 0 };

  constructor(limits: AdmissionLimits) {
    this.limits = Admission.checked(limits);
  }

  private static checked(l: AdmissionLimits): AdmissionLimits {
    const limit = Math.max(1, Math.floor(l.limit));
    return { limit, reserved: Math.min(Math.max(0, Math.floor(l.reserved)), limit - 1), burst: Math.max(1, Math.floor(l.burst)) };
  }

  /** New limits; raising them admits waiting calls at once. */
  configure(limits: Partial<AdmissionLimits>): void {
    this.limits = Admission.checked({ ...this.limits, ...limits });
    this.pump();
  }

  stats(): AdmissionStats {
    return {
      limit: this.limits.limit, reserved: this.limits.reserved, inFlight: this.inFlight,
      running: { priority: this.inFlight - this.normalInFlight, normal: this.normalInFlight },
      waiting: { priority: this.queues.priority.length, normal: this.queues.normal.length },
      waited: this.waited.priority + this.waited.normal, waitedByLane: { ...this.waited }, admitted: { ...this.admitted },
    };
  }

  /** Runs fn once the lane's turn comes and a slot is free; the slot is held until fn's promise settles. */
  async run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    if (this.queues[lane].length === 0 && this.fits(lane)) {
      this.take(lane);
    } else {
      this.waited[lane]++;
      // The slot is taken for us (pump) before we are woken.
      await new Promise<void>((resolve) => { this.queues[lane].push(resolve); });
    }
    try {
      return await fn();
    } finally {
      this.inFlight--;
      if (lane === 'normal') this.normalInFlight--;
      this.pump();
    }
  }

  private fits(lane: Lane): boolean {
    if (this.inFlight >= this.limits.limit) return false;
    return lane === 'priority' || this.normalInFlight < this.limits.limit - this.limits.reserved;
  }

  private take(lane: Lane): void {
    this.admitted[lane]++;
    this.inFlight++;
    if (lane === 'normal') this.normalInFlight++;
  }

  /** Admits waiting calls while slots are free: priority first, one normal call after every `burst` priority ones. */
  private pump(): void {
    for (;;) {
      const p = this.queues.priority.length > 0 && this.fits('priority');
      const n = this.queues.normal.length > 0 && this.fits('normal');
      let lane: Lane;
      if (p && (!n || this.streak < this.limits.burst)) {
        lane = 'priority';
        this.streak = this.queues.normal.length > 0 ? this.streak + 1 : 0;
      } else if (n) {
        lane = 'normal';
        this.streak = 0;
      } else {
        return;
      }
      this.take(lane);
      this.queues[lane].shift()?.();
    }
  }
}

/**
 * Calls that only read (and the connection's own housekeeping): the priority
 * lane. Everything else (start, shutdown, destroy, undefine, define, detach,
 * managed-save removal) is a write.
 */
const PRIORITY_CALLS = new Set([
  'virDomainGetState', 'virDomainIsActive', 'virDomainIsPersistent', 'virDomainHasManagedSaveImage', 'virDomainGetXMLDesc',
  'virDomainLookupByName', 'virDomainLookupByUUIDString', 'virConnectListAllDomains', 'virDomainSnapshotNum',
  'virConnectGetHostname', 'virConnectGetLibVersion', 'virConnectGetVersion', 'virConnectGetURI',
  'virConnectOpen', 'virConnectClose', 'virConnectDomainEventRegisterAny', 'virConnectRegisterCloseCallback', 'virConnectSetKeepAlive',
]);

export function laneOf(call: string): Lane {
  return PRIORITY_CALLS.has(call) ? 'priority' : 'normal';
}

/**
 * The process's admission (the binding's libvirt pool is process-wide too).
 * The agent sets the limit to its libvirt thread count (agent.ts).
 */
export const libvirtAdmission = new Admission({ limit: 8, reserved: 1, burst: 8 });
