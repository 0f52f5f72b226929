// The domain an operation acts on. The operation manager looks it up once
// (for the per-domain queue) and hands it to the flow in ctx.target; a flow
// run without the manager (tests, a flow calling another for a different
// domain) looks it up here instead.
import { NotFound } from '../../errors';
import type { DomainFacts, Guest, XmlWanted } from '../../libvirt/guest';
import { describeRef, type DomainRef } from '../../libvirt/host';
import type { FlowDeps, OpContext } from './types';

function sameRef(a: DomainRef, b: DomainRef): boolean {
  return a.uuid !== undefined ? a.uuid.toLowerCase() === b.uuid?.toLowerCase() : a.name === b.name && b.uuid === undefined;
}

/** The domain `ref` names: the manager's Guest when it looked that ref up, else looked up now; null when libvirt has none. */
export async function targetOf(deps: FlowDeps, ctx: OpContext, ref: DomainRef): Promise<Guest | null> {
  if (ctx.target && sameRef(ctx.target.ref, ref)) return ctx.target.guest;
  return deps.host.find(ref);
}

/**
 * The facts the manager read with its lookup of `ref` (in the same binding
 * job), when it read exactly `wanted`; undefined otherwise (the flow reads
 * them itself).
 */
export function targetFacts(ctx: OpContext, ref: DomainRef, wanted: XmlWanted): DomainFacts | undefined {
  const t = ctx.target;
  if (!t?.guest || !t.facts || !sameRef(t.ref, ref)) return undefined;
  const w = t.facts.wanted;
  const same = (w.flags ?? 0) === (wanted.flags ?? 0) && (w.inactiveIfPersistent ?? false) === (wanted.inactiveIfPersistent ?? false);
  return same ? t.facts.facts : undefined;
}

/** Like targetOf, but NotFound when libvirt has no such domain. */
export async function requireTarget(deps: FlowDeps, ctx: OpContext, ref: DomainRef): Promise<Guest> {
  const guest = await targetOf(deps, ctx, ref);
  if (!guest) throw new NotFound(`${describeRef(ref)} not found`);
  return guest;
}
