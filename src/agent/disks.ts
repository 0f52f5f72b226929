// Removing what an instance owns when it is destroyed with destroy_disks.
// The ownership rule (anything else is skipped, with a step that names it and why):
//   - a file disk only when its canonical path lies below <instances_path>/<uuid>/
//     (Nova's layout) and no other domain libvirt knows, running or defined,
//     references the same canonical path (backing chains included); the shared
//     base images in <instances_path>/_base/ never;
//   - an RBD image only when named <uuid>_* in one of the configured pools;
//   - an LV only when named <uuid>_* in the configured volume group (wiped first);
//   - the instance directory itself only when no other domain references a file in it.
// Volumes (Cinder) are never removed here: they are disconnected instead. The
// RBD pools and the volume group are also searched by prefix, as Nova's
// _cleanup_rbd / _cleanup_lvm do, so images the XML no longer names (or a
// domain libvirt forgot) are found too. When the other domains cannot be read,
// ownership is unknown and nothing is removed.
// The other domains are read once, and only when something is about to be
// removed: on a host with hundreds of domains that read is most of a
// Destroy's cost, and an instance with nothing of its own left (no disk of
// its own, no <uuid>_* image or LV, no directory) does not need it.
import path from 'node:path';

import { parseDomainXml } from '../libvirt/domain-xml';
import { errorMessage } from '../errors';
import { canonicalPath, pathExists, removeFile, removeTree } from './host-fs';
import type { FlowDeps, OpContext } from './flows/types';
import { listLvs, removeLv, wipeLv, type LvmDeps } from './storage/lvm';
import { listImages, removeImage, type RbdImageDeps } from './storage/rbd-images';
import { otherDomainReferences, referencesInside, type HostReferences } from './storage/references';
import { findVolumeDisk, type VolumeAttachment } from './volume';
import { isInside } from './volume/validate';

export interface DiskRemovalResult {
  removed: string[];
  warnings: string[];
}

/** Why a disk is kept, or null when it is the instance's to remove. */
type Verdict = { keep: true; why: string; warn: boolean } | { keep: false };

const keep = (why: string, warn = true): Verdict => ({ keep: true, why, warn });
const usedBy = (domains: string[]) => `also used by domain(s) ${domains.join(', ')}`;

interface Plan {
  uuid: string;
  instanceDir: string;
  baseDir: string;
  /** What the other domains reference: read on first use, then the same answer. */
  refs: () => Promise<HostReferences>;
  pools: string[];
  vg: string;
}

/** The other domains (or the instances directory) could not be read: ownership is unknown, nothing more is removed. */
class OwnershipUnknown extends Error {}

async function fileVerdict(plan: Plan, p: string): Promise<{ verdict: Verdict; canonical: string }> {
  const canonical = await canonicalPath(p);
  if (isInside(plan.baseDir, canonical)) return { canonical, verdict: keep(`${p} is a shared base image (_base)`, false) };
  if (canonical === plan.instanceDir || !isInside(plan.instanceDir, canonical)) {
    return { canonical, verdict: keep(`${p} is outside this instance's directory ${plan.instanceDir}`) };
  }
  const users = (await plan.refs()).paths.get(canonical);
  if (users) return { canonical, verdict: keep(`${p} is ${usedBy(users)}`) };
  return { canonical, verdict: { keep: false } };
}

const RBD_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,254}$/;

async function rbdVerdict(plan: Plan, spec: string): Promise<Verdict> {
  const [pool, image, ...rest] = spec.split('/');
  // Only names the agent can pass to rbd safely (never option-like); anything odd is left alone.
  if (!pool || !image || rest.length > 0 || !RBD_NAME.test(pool) || !RBD_NAME.test(image)) {
    return keep(`rbd ${spec} is not a pool/image name the agent removes`);
  }
  if (!image.startsWith(`${plan.uuid}_`)) return keep(`rbd ${spec} is not named ${plan.uuid}_*`);
  if (!plan.pools.includes(pool)) return keep(`rbd ${spec}: pool ${pool} is not one of the configured rbd.pools`);
  const users = (await plan.refs()).rbd.get(spec);
  return users ? keep(`rbd ${spec} is ${usedBy(users)}`) : { keep: false };
}

/** "/dev/VG/LV" → [VG, LV] */
function lvOf(p: string): [string, string] | undefined {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(p);
  return m ? [m[1]!, m[2]!] : undefined;
}

async function lvVerdict(plan: Plan, p: string): Promise<Verdict> {
  const lv = lvOf(p);
  if (!lv || !lv[1].startsWith(`${plan.uuid}_`)) return keep(`${p} is not an LV named ${plan.uuid}_*`);
  if (plan.vg === '' || lv[0] !== plan.vg) return keep(`${p}: volume group ${lv[0]} is not the configured lvm.volumeGroup`);
  // /dev/VG/LV is a link to /dev/dm-N: another domain may name either.
  const { paths } = await plan.refs();
  const users = paths.get(p) ?? paths.get(await canonicalPath(p));
  return users ? keep(`${p} is ${usedBy(users)}`) : { keep: false };
}

function rbdDeps(deps: FlowDeps, ctx: OpContext): RbdImageDeps {
  const { rbd } = deps.config;
  return {
    runner: deps.runner, clock: deps.clock, ceph: { user: rbd.user, confPath: rbd.confPath, cluster: rbd.cluster },
    busyRetries: rbd.busyRetries, busyRetryIntervalMs: rbd.busyRetryIntervalMs, ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

function lvmDeps(deps: FlowDeps): LvmDeps {
  const { lvm } = deps.config;
  return { runner: deps.runner, volumeClear: lvm.volumeClear, volumeClearSizeMiB: lvm.volumeClearSizeMiB, wipeTimeoutMs: lvm.wipeTimeoutSeconds * 1000 };
}

export async function removeInstanceDisks(deps: FlowDeps, ctx: OpContext, uuid: string, xml: string | null,
  volumes: VolumeAttachment[]): Promise<DiskRemovalResult> {
  const out: DiskRemovalResult = { removed: [], warnings: [] };
  const { steps } = ctx;
  let read: Promise<HostReferences> | undefined;
  const refs = () => read ??= steps.run('disk-ownership', async (s) => {
    const r = await otherDomainReferences(deps.host, uuid);
    s.detail(`${r.paths.size} path(s) and ${r.rbd.size} rbd image(s) used by other domains`);
    return r;
  }, { failedAs: 'warning' }).catch((err: unknown) => {
    throw new OwnershipUnknown(`no disk removed: the other domains' disks could not be read, so ownership is unknown (${errorMessage(err)})`);
  });
  try {
    const instances = await canonicalPath(deps.config.instancesPath).catch((err: unknown) => {
      throw new OwnershipUnknown(`no disk removed: ${deps.config.instancesPath} could not be resolved, so what the instance owns is unknown (${errorMessage(err)})`);
    });
    const plan: Plan = {
      uuid, refs, instanceDir: path.join(instances, uuid), baseDir: path.join(instances, '_base'),
      pools: deps.config.rbd.pools, vg: deps.config.lvm.volumeGroup,
    };
    await removeOwned(deps, ctx, plan, xml, volumes, out);
  } catch (err) {
    if (!(err instanceof OwnershipUnknown)) throw err;
    out.warnings.push(err.message);
    return out;
  }
  if (read === undefined) steps.record('disk-ownership', 'skipped', 'nothing of the instance to remove: other domains not read');
  return out;
}

async function removeOwned(deps: FlowDeps, ctx: OpContext, plan: Plan, xml: string | null, volumes: VolumeAttachment[],
  out: DiskRemovalResult): Promise<void> {
  const { steps } = ctx;
  const { uuid } = plan;
  const skip = (name: string, why: string, warn: boolean) => {
    steps.record(name, 'skipped', `${why}; not removed`);
    if (warn) out.warnings.push(`${name.replace(/^remove-/, '')}: ${why}; not removed`);
  };
  const rbd = rbdDeps(deps, ctx);
  const lvm = lvmDeps(deps);
  const doneRbd = new Set<string>();
  const doneLv = new Set<string>();

  const removeRbdImage = async (spec: string) => {
    const [pool, image] = spec.split('/') as [string, string];
    await steps.run(`remove-rbd ${spec}`, async (s) => s.detail(await removeImage(rbd, pool, image)));
    doneRbd.add(spec);
    out.removed.push(`rbd:${spec}`);
  };
  const removeLogicalVolume = async (vg: string, lv: string) => {
    await steps.run(`remove-lv /dev/${vg}/${lv}`, async (s) => {
      const wiped = await wipeLv(lvm, vg, lv);
      await removeLv(lvm, vg, lv);
      s.detail(wiped);
    });
    out.removed.push(`/dev/${vg}/${lv}`);
  };

  const disks = xml === null ? [] : parseDomainXml(xml).disks;
  const lvs = plan.vg === '' ? [] : await steps.run(`list-lvs ${plan.vg}`, async (s) => {
    const names = await listLvs(lvm, plan.vg);
    s.detail(`${names.length} LV(s)`);
    return names;
  });

  for (const d of disks) {
    const name = `remove-disk ${d.targetDev || '?'}`;
    const vol = volumes.find((v) => findVolumeDisk(v, [d], deps.config.nfsMountBase) !== undefined);
    if (vol) {
      steps.record(name, 'skipped', `volume ${vol.volume_id}: disconnected, not deleted`);
    } else if (d.device === 'cdrom' || d.device === 'floppy') {
      steps.record(name, 'skipped', `removable media ${d.source || '(empty)'}`);
    } else if (d.type === 'file' && d.path) {
      const { verdict, canonical } = await fileVerdict(plan, d.path);
      if (verdict.keep) skip(name, verdict.why, verdict.warn);
      else {
        await steps.run(name, async (s) => {
          await removeFile(canonical);
          s.detail(canonical);
        });
        out.removed.push(canonical);
      }
    } else if (d.type === 'network' && d.protocol === 'rbd') {
      const verdict = await rbdVerdict(plan, d.source);
      if (verdict.keep) skip(`remove-rbd ${d.source}`, verdict.why, verdict.warn);
      else if (!doneRbd.has(d.source)) await removeRbdImage(d.source);
    } else if (d.type === 'block' && d.path) {
      const verdict = await lvVerdict(plan, d.path);
      const lv = lvOf(d.path);
      if (verdict.keep) skip(`remove-lv ${d.path}`, verdict.why, verdict.warn);
      else if (lv && !doneLv.has(lv[1])) {
        doneLv.add(lv[1]);
        if (lvs.includes(lv[1])) await removeLogicalVolume(lv[0], lv[1]);
        else steps.record(`remove-lv ${d.path}`, 'ok', 'missing');
      }
    } else {
      skip(name, `${d.type}${d.protocol ? `/${d.protocol}` : ''} disk ${d.source || ''} is not a kind the agent removes`, true);
    }
  }

  // Prefix cleanup: what the XML did not name, or no XML at all (Nova's _cleanup_rbd / _cleanup_lvm).
  for (const pool of plan.pools) {
    const images = await steps.run(`list-rbd ${pool}`, async (s) => {
      const mine = (await listImages(rbd, pool)).filter((i) => i.startsWith(`${uuid}_`));
      s.detail(mine.length ? mine.join(', ') : `no ${uuid}_* images`);
      return mine;
    });
    for (const image of images) {
      const spec = `${pool}/${image}`;
      if (doneRbd.has(spec)) continue;
      const verdict = await rbdVerdict(plan, spec);
      if (verdict.keep) skip(`remove-rbd ${spec}`, verdict.why, verdict.warn);
      else await removeRbdImage(spec);
    }
  }
  for (const lv of lvs.filter((n) => n.startsWith(`${uuid}_`) && !doneLv.has(n))) {
    const p = `/dev/${plan.vg}/${lv}`;
    const verdict = await lvVerdict(plan, p);
    if (verdict.keep) skip(`remove-lv ${p}`, verdict.why, verdict.warn);
    else await removeLogicalVolume(plan.vg, lv);
  }

  // The instance directory (console log, disk.info, ...), unless another domain uses a file in it.
  if (!(await pathExists(plan.instanceDir))) {
    steps.record('remove-instance-dir', 'skipped', `${plan.instanceDir} does not exist`);
    return;
  }
  const shared = referencesInside(await plan.refs(), plan.instanceDir);
  if (shared.length > 0) {
    skip('remove-instance-dir', `${plan.instanceDir} holds ${shared.map((s) => `${s.path} (${s.domains.join(', ')})`).join(', ')}`, true);
  } else {
    await steps.run('remove-instance-dir', async (s) => {
      await removeTree(plan.instanceDir);
      s.detail(plan.instanceDir);
    });
  }
}
