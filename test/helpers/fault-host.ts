// Fault injection for flow and operation tests (used through agent-deps.ts,
// which re-exports this module).
//
// FAULT INJECTION THROUGH THE PORT: the test driver cannot produce the
// failures the flows exist for (a QEMU that ignores SIGTERM, EBUSY from
// virDomainDestroyFlags, a guest that ignores ACPI, a lost lifecycle event).
// FaultyHost overrides Host.adopt() (the Guests lookup() and find() hand out)
// and hands the flows Guests whose methods first consult a per-domain
// FaultPlan; unplanned calls reach the real test-driver domain. An injected
// LibvirtError is translated as the Host translates a real one
// (libvirt/errors.ts domainError). Everything else in the flows runs
// unmodified.
//
// One-job reads: the agent reads a domain's state and XML mostly through
// describe (Guest.describe, Host.describe, Host.describeAll: Destroy's facts,
// GetDomain, ListDomains, the ownership scan, volume usage). A plan naming
// 'state' or 'xml' applies to those reads too, so a fault planned on a
// domain's state/XML read hits whichever API the flow uses: the planned state
// read comes first (as virDomainGetState does in the binding's job), then the
// real job, then the planned XML read(s) replace the XML it returned. Only
// state/reason and the XML are planned; activity, persistence and the
// managed-save flag are libvirt's. A plan naming neither leaves describe
// alone (and logs nothing for it).
import { systemClock, type Clock } from '../../src/agent/clock';
import { DomainXMLFlags } from '../../src/libvirt/constants';
import { domainError, ErrorCode, LibvirtError } from '../../src/libvirt/errors';
import type { DomainFacts, Guest, GuestState, XmlWanted } from '../../src/libvirt/guest';
import { describeRef, Host, type DescribedDomain, type DomainRef, type HostEvents } from '../../src/libvirt/host';

export type FaultMethod = 'shutdown' | 'destroy' | 'undefine' | 'create' | 'managedSaveRemove' | 'state' | 'detachDevice' | 'xml';

/**
 * What one call does: 'pass' reaches libvirt, 'ignore' returns without doing
 * anything (a guest that ignores ACPI, a destroy that "succeeds" but leaves the
 * domain running), an error is thrown, a function decides (it may call the
 * real method itself through `real`).
 */
export type Outcome =
  | 'pass'
  | 'ignore'
  | LibvirtError
  /** Returned instead of calling libvirt (e.g. a state libvirt would report in a situation the test driver cannot reach). */
  | { value: unknown }
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- an async function that returns nothing is an outcome too
  | ((call: { args: unknown[]; real: () => Promise<unknown>; guest: Guest }) => Outcome | void | Promise<Outcome | void>);

/** One outcome for every call, or a list consumed call by call ('pass' once it runs out). */
export type FaultSpec = Partial<Record<FaultMethod, Outcome | Outcome[]>>;

export interface CallRecord {
  method: FaultMethod;
  args: unknown[];
  /** clock.now() at the call. */
  at: number;
  outcome: 'pass' | 'ignore' | 'error' | 'custom';
}

/** The faults of one domain and the log of its calls, shared by every Guest object looked up for it. */
export class FaultPlan {
  readonly calls: CallRecord[] = [];
  private readonly queues = new Map<FaultMethod, Outcome[]>();
  private readonly always = new Map<FaultMethod, Outcome>();

  constructor(spec: FaultSpec = {}, private readonly clock: Clock = systemClock) {
    this.set(spec);
  }

  /** Replaces the faults of the methods named in spec. */
  set(spec: FaultSpec): this {
    for (const [m, o] of Object.entries(spec) as Array<[FaultMethod, Outcome | Outcome[]]>) {
      this.queues.delete(m);
      this.always.delete(m);
      if (Array.isArray(o)) this.queues.set(m, [...o]);
      else this.always.set(m, o);
    }
    return this;
  }

  /** Whether the plan says anything about this method. */
  has(method: FaultMethod): boolean {
    return this.queues.has(method) || this.always.has(method);
  }

  next(method: FaultMethod): Outcome {
    const q = this.queues.get(method);
    if (q) return q.shift() ?? 'pass';
    return this.always.get(method) ?? 'pass';
  }

  /** Calls of one method (the arguments of each). */
  argsOf(method: FaultMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  count(method: FaultMethod): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  record(method: FaultMethod, args: unknown[], outcome: CallRecord['outcome']): void {
    this.calls.push({ method, args, at: this.clock.now(), outcome });
  }
}

const FAULT_METHODS: FaultMethod[] = ['shutdown', 'destroy', 'undefine', 'create', 'managedSaveRemove', 'state', 'detachDevice', 'xml'];

/**
 * A Guest whose fault methods follow `plan` (and are logged in it). The
 * wrapper inherits from the real Guest, so name/uuid/id and every other
 * method are the real ones.
 */
export function faults(guest: Guest, plan: FaultPlan): Guest {
  const wrapped = Object.create(guest) as Guest;
  for (const method of FAULT_METHODS) {
    const real = (guest[method] as (...a: unknown[]) => Promise<unknown>).bind(guest);
    const fn = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await planned(args);
      } catch (err) {
        throw domainError(err, guest.name, method === 'detachDevice' ? args : []);
      }
    };
    const planned = async (args: unknown[]): Promise<unknown> => {
      // XML reads are frequent: only faked and logged when the plan names them.
      if (method === 'xml' && !plan.has('xml')) return real(...args);
      // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- what a planned function returned
      let outcome: Outcome | void = plan.next(method);
      let kind: CallRecord['outcome'] = 'custom';
      if (typeof outcome === 'function') outcome = await outcome({ args, real: () => real(...args), guest });
      else kind = outcome === 'pass' ? 'pass' : outcome === 'ignore' ? 'ignore' : outcome instanceof LibvirtError ? 'error' : 'custom';
      plan.record(method, args, kind);
      if (outcome === undefined || outcome === 'ignore') return undefined;
      if (outcome === 'pass') return real(...args);
      if (outcome instanceof LibvirtError) throw outcome;
      if (typeof outcome === 'object' && 'value' in outcome) return outcome.value;
      throw new Error(`unsupported nested outcome for ${method}`);
    };
    Object.defineProperty(wrapped, method, { value: fn });
  }
  const realDescribe = guest.describe.bind(guest);
  Object.defineProperty(wrapped, 'describe', {
    value: (xml: XmlWanted = {}) => plannedFacts(wrapped, plan, () => realDescribe(xml), { live: xml.flags ?? 0, inactiveIfPersistent: xml.inactiveIfPersistent ?? false }),
  });
  return wrapped;
}

/** Whether a plan changes what describe reads (see the header). */
function plansReads(plan: FaultPlan): boolean {
  return plan.has('state') || plan.has('xml');
}

/**
 * The facts of one describe job as the plan has them: `wrapped`'s planned
 * state() first (a planned failure fails the whole read, as in the binding),
 * then the real facts, then its planned xml() for the XML that job read
 * (`live` flags, INACTIVE added for a persistent domain when asked) and, when
 * the job read the definition too (describeAll(true)), for that.
 */
async function plannedFacts(wrapped: Guest, plan: FaultPlan, real: () => Promise<DomainFacts>,
  xml: { live: number; inactiveIfPersistent: boolean }): Promise<DomainFacts> {
  if (!plansReads(plan)) return real();
  const state = plan.has('state') ? (await wrapped.state()) as GuestState | undefined : undefined;
  const facts = { ...(await real()) };
  if (state) {
    facts.state = state.state;
    facts.reason = state.reason;
  }
  if (plan.has('xml')) {
    const inactive = xml.inactiveIfPersistent && facts.persistent ? DomainXMLFlags.INACTIVE : 0;
    facts.xml = await wrapped.xml(xml.live | inactive);
    if (facts.inactiveXml !== undefined && facts.persistent) facts.inactiveXml = await wrapped.xml(DomainXMLFlags.INACTIVE);
  }
  return facts;
}

/** A LibvirtError as the binding would raise it for `call`. */
export function lverr(call: string, code: ErrorCode, message: string, int1 = -1): LibvirtError {
  return new LibvirtError(call, { code, message, int1 });
}

/** Common failures of virDomainDestroyFlags on a real QEMU host. */
export const destroyErrors = {
  busy: () => lverr('virDomainDestroyFlags', ErrorCode.SYSTEM_ERROR,
    'Failed to terminate process 4242 with SIGTERM: Device or resource busy', 16),
  timeout: () => lverr('virDomainDestroyFlags', ErrorCode.OPERATION_TIMEOUT,
    'Timed out during operation: cannot acquire state change lock (held by monitor=remoteDispatchDomainDestroy)'),
  noDomain: () => lverr('virDomainDestroyFlags', ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching uuid"),
  invalid: () => lverr('virDomainDestroyFlags', ErrorCode.OPERATION_INVALID, 'Requested operation is not valid: domain is not running'),
};

/**
 * A Host whose lookups return fault-injecting Guests for domains with a plan,
 * and whose lifecycle events can be suppressed (a missed event).
 */
export class FaultyHost extends Host {
  private readonly plans = new Map<string, FaultPlan>();
  /** When true, lifecycle events from libvirt are dropped instead of re-emitted. */
  dropLifecycle = false;
  /** Lifecycle events dropped while dropLifecycle was set. */
  dropped = 0;
  clock: Clock = systemClock;

  /** Installs (or extends) the plan of a domain by uuid; also the way to just log its calls. */
  inject(uuid: string, spec: FaultSpec = {}): FaultPlan {
    const existing = this.plans.get(uuid);
    if (existing) return existing.set(spec);
    const plan = new FaultPlan(spec, this.clock);
    this.plans.set(uuid, plan);
    return plan;
  }

  plan(uuid: string): FaultPlan | undefined {
    return this.plans.get(uuid);
  }

  /** The real Guest, bypassing any plan (what "someone else" on the host does); its failures are LibvirtErrors. */
  async raw(ref: DomainRef): Promise<Guest> {
    return this.call((c) => (ref.uuid ? c.lookupByUUID(ref.uuid) : c.lookupByName(ref.name ?? '')), describeRef(ref));
  }

  protected override adopt(guest: Guest): Guest {
    const g = super.adopt(guest);
    const plan = this.plans.get(g.uuid);
    return plan ? faults(g, plan) : g;
  }

  /** Host.describe with the domain's planned state/XML reads (the real job runs first: the lookup is real). */
  override async describe(ref: DomainRef, xml: XmlWanted = {}): Promise<{ guest: Guest; facts: DomainFacts }> {
    const r = await super.describe(ref, xml);
    const plan = this.plans.get(r.guest.uuid);
    if (!plan || !plansReads(plan)) return r;
    return { guest: r.guest, facts: await r.guest.describe(xml) };
  }

  /**
   * Host.describeAll with each planned domain's state/XML reads; a planned
   * failure becomes that domain's error, as a failed read in the job does.
   * Planned domains come back as fault-injecting Guests.
   */
  override async describeAll(withInactive = false): Promise<DescribedDomain[]> {
    const list = await super.describeAll(withInactive);
    return Promise.all(list.map(async (d): Promise<DescribedDomain> => {
      const plan = this.plans.get(d.guest.uuid);
      if (!plan) return d;
      const guest = faults(d.guest, plan);
      if (!d.facts || !plansReads(plan)) return { ...d, guest };
      const facts = d.facts;
      try {
        return { guest, facts: await plannedFacts(guest, plan, () => Promise.resolve(facts), { live: 0, inactiveIfPersistent: false }) };
      } catch (error) {
        return { guest, error };
      }
    }));
  }

  override emit<K extends keyof HostEvents>(event: K, ...args: HostEvents[K]): boolean {
    if (event === 'lifecycle' && this.dropLifecycle) {
      this.dropped++;
      return false;
    }
    const emit = super.emit as (e: string, ...a: unknown[]) => boolean;
    return emit.call(this, event, ...args);
  }
}
