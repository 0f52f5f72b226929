// PowerOn and HardReboot (Nova's restore path): take the persistent
// definition (or the stored copy of a transient domain), connect the volumes
// it is given (a rebooted host lost its sessions, mappings and mounts), refuse
// to start without every disk, destroy if running, start, and wait for RUNNING
// on the STARTED event. A managed-save image is resumed by PowerOn unless
// asked to discard it, and dropped by HardReboot unless asked to keep it (a
// hard reboot boots fresh, as Nova's does).

import { DomainState, DomainXMLFlags, LifecycleEvent } from '../../libvirt/constants';
import { parseDomainXml } from '../../libvirt/domain-xml';
import type { Guest } from '../../libvirt/guest';
import { describeRef, type DomainRef } from '../../libvirt/host';
import { FailedPrecondition, isAppError, NotFound, Timeout, Unavailable } from '../../errors';
import { pathExists } from '../host-fs';
import type { VolumeAttachment } from '../volume';
import { checkVolumesForConnect, connectChecked } from './connect-volume';
import { forceStop } from './force-stop';
import { targetOf } from './target';
import type { FlowDeps, OpContext } from './types';
import { waitForGuest } from './wait';

export interface PowerOnInput {
  ref: DomainRef;
  waitTimeoutSeconds: number;
  discardManagedSave: boolean;
  /** Connected on the host before the start (in order). */
  volumes?: VolumeAttachment[];
}

export interface PowerOnResult {
  powerState: DomainState;
  elapsedMs: number;
  started: boolean;
  resumedManagedSave: boolean;
}

/**
 * Every file- or block-backed disk must exist before the guest is started.
 * Storage that does not answer (or is broken) fails the start with
 * UNAVAILABLE naming the disk — retry later — not "does not exist".
 */
async function checkDisks(xml: string): Promise<void> {
  for (const d of parseDomainXml(xml).disks) {
    if (!d.path || d.type === 'dir') continue;
    const exists = await pathExists(d.path).catch((err: unknown) => {
      if (isAppError(err) && err.kind === 'Unavailable') throw new Unavailable(`disk ${d.targetDev || '?'}: ${err.message}`, { cause: err });
      return false;
    });
    if (exists) continue;
    if (d.device === 'cdrom' || d.device === 'floppy') continue; // removable media may be absent
    throw new FailedPrecondition(`disk ${d.targetDev || '?'}: source ${d.path} does not exist; not starting the guest without it`);
  }
}

/** The domain to restart; guest is null for a transient domain libvirt forgot but the agent stored. */
interface Target {
  guest: Guest | null;
  uuid: string;
  name: string;
}

/**
 * The domain to restart. A transient domain is gone from libvirt once it stops
 * (guest shutdown, crash, destroy): when the agent holds its stored copy, that
 * copy is the target, so it can be started again.
 */
async function restartTarget(deps: FlowDeps, ctx: OpContext, ref: DomainRef): Promise<Target> {
  const guest = await targetOf(deps, ctx, ref);
  if (guest) return { guest, uuid: guest.uuid, name: guest.name };
  const uuid = ref.uuid?.toLowerCase();
  const xml = uuid ? await deps.store.load(uuid).catch(() => null) : null;
  if (!uuid || xml === null) throw new NotFound(`${describeRef(ref)} not found`);
  return { guest: null, uuid, name: parseDomainXml(xml).name || uuid };
}

/** The definition to start from: inactive XML, or the stored transient copy. */
async function definition(deps: FlowDeps, t: Target): Promise<{ xml: string; persistent: boolean }> {
  if (t.guest && (await t.guest.isPersistent())) {
    return { xml: await t.guest.xml(DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE), persistent: true };
  }
  const xml = await deps.store.load(t.uuid);
  if (xml === null) {
    throw new FailedPrecondition(`domain '${t.name}' is transient and the agent holds no stored definition of it`);
  }
  return { xml, persistent: false };
}

async function restart(deps: FlowDeps, ctx: OpContext, input: PowerOnInput, volumes: VolumeAttachment[], target: Target,
  started: number): Promise<PowerOnResult> {
  const { steps } = ctx;
  const { guest, name } = target;
  const def = await steps.run('load-definition', async (s) => {
    const d = await definition(deps, target);
    s.detail(d.persistent ? 'persistent' : guest ? 'stored transient copy' : 'stored transient copy (domain was gone)');
    return d;
  });
  for (const vol of volumes) {
    await steps.run(`connect-volume ${vol.volume_id}`, async (s) => s.detail(await connectChecked(deps, ctx, vol)));
  }
  await steps.run('check-disks', () => checkDisks(def.xml));

  const state = guest ? (await guest.state()).state : DomainState.SHUTOFF;
  if (guest && state !== DomainState.SHUTOFF && state !== DomainState.NOSTATE) {
    await forceStop(deps, ctx, guest);
  }

  let resumed = false;
  if (def.persistent && guest && (await guest.hasManagedSaveImage())) {
    if (input.discardManagedSave) {
      await steps.run('managed-save-remove', () => guest.managedSaveRemove());
    } else {
      resumed = true;
      steps.record('managed-save', 'ok', 'resuming from the managed-save image');
    }
  }

  const deadlineAt = deps.clock.now() + input.waitTimeoutSeconds * 1000;
  let uuid = target.uuid;
  await steps.run('start', async () => {
    if (def.persistent && guest) await guest.create();
    else uuid = (await deps.host.create(def.xml, `starting domain '${name}'`)).uuid;
  });

  let last = DomainState.NOSTATE;
  const running = async () => {
    const g = await deps.host.find({ uuid });
    last = g ? (await g.state()).state : DomainState.NOSTATE;
    return last === DomainState.RUNNING;
  };
  const waited = await waitForGuest(deps, {
    uuid,
    wakeOn: (e) => e.event === LifecycleEvent.STARTED || e.event === LifecycleEvent.RESUMED,
    check: running,
    deadlineAt,
    pollMs: deps.config.powerOff.stateCheckIntervalMs,
    signal: ctx.signal,
  });
  if (!waited.done) {
    throw new Timeout(`domain '${name}' not RUNNING after ${input.waitTimeoutSeconds}s (state ${DomainState[last]})`);
  }
  steps.record('wait-running', 'ok');
  return { powerState: DomainState.RUNNING, elapsedMs: Math.round(deps.clock.now() - started), started: true, resumedManagedSave: resumed };
}

/** Starts a stopped domain; a running one is left alone. */
export async function powerOn(deps: FlowDeps, ctx: OpContext, input: PowerOnInput): Promise<PowerOnResult> {
  const started = deps.clock.now();
  const volumes = await checkVolumesForConnect(deps, input.volumes ?? [], 'volumes');
  const target = await restartTarget(deps, ctx, input.ref);
  const state = target.guest ? (await target.guest.state()).state : DomainState.SHUTOFF;
  if (state === DomainState.RUNNING || state === DomainState.BLOCKED) {
    ctx.steps.record('check-state', 'skipped', 'already running');
    return { powerState: state, elapsedMs: Math.round(deps.clock.now() - started), started: false, resumedManagedSave: false };
  }
  return restart(deps, ctx, input, volumes, target, started);
}

/** Always restarts: destroy (if running) and start from the definition. */
export async function hardReboot(deps: FlowDeps, ctx: OpContext, input: PowerOnInput): Promise<PowerOnResult> {
  const started = deps.clock.now();
  const volumes = await checkVolumesForConnect(deps, input.volumes ?? [], 'volumes');
  return restart(deps, ctx, input, volumes, await restartTarget(deps, ctx, input.ref), started);
}
