// Removing the disks a domain owns when it is destroyed with destroy_disks:
// files below the configured instances directory (never outside it), RBD
// images and LVM volumes named after the instance (Nova: "<uuid>_disk*").
// Volumes (Cinder) are never removed here: they are disconnected instead.
import fs from 'node:fs/promises';
import path from 'node:path';

import { parseDomainXml, type DiskInfo } from '../libvirt/domain-xml';
import { Unavailable } from '../errors';
import type { CommandRunner } from './exec';
import type { StepRecorder } from './steps';
import { canonicalPath } from './volume/host-io';
import { isInside } from './volume/validate';

export interface DiskRemovalDeps {
  runner: CommandRunner;
  steps: StepRecorder;
  instancesPath: string;
}

export interface DiskRemovalResult {
  removed: string[];
  warnings: string[];
}

const RBD_NAME = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

function ownedRbd(d: DiskInfo, uuid: string): boolean {
  return d.type === 'network' && d.protocol === 'rbd' && RBD_NAME.test(d.source)
    && d.source.split('/')[1]!.startsWith(`${uuid}_`);
}

function ownedLv(d: DiskInfo, uuid: string): boolean {
  return d.type === 'block' && !!d.path && /^\/dev\/[A-Za-z0-9._+-]+\/[A-Za-z0-9._+-]+$/.test(d.path)
    && path.basename(d.path).startsWith(`${uuid}_`);
}

/** Ceph's order: unprotect snapshots, purge them, remove the image. */
async function removeRbd(runner: CommandRunner, image: string): Promise<'removed' | 'missing'> {
  const ENOENT = 2;
  const EBUSY = 16;
  const ls = await runner.run('rbd', ['snap', 'ls', '--format', 'json', image], { okCodes: [0, ENOENT] });
  if (ls.code === ENOENT) return 'missing';
  const snaps = JSON.parse(ls.stdout || '[]') as Array<{ name: string; protected?: string | boolean }>;
  for (const s of snaps) {
    if (s.protected === true || s.protected === 'true') await runner.run('rbd', ['snap', 'unprotect', `${image}@${s.name}`]);
  }
  if (snaps.length > 0) await runner.run('rbd', ['snap', 'purge', image]);
  const rm = await runner.run('rbd', ['rm', image], { okCodes: [0, ENOENT, EBUSY] });
  if (rm.code === EBUSY) throw new Unavailable(`rbd image ${image} is busy (still has watchers); retry later`);
  return rm.code === ENOENT ? 'missing' : 'removed';
}

async function removeLv(runner: CommandRunner, lv: string): Promise<'removed' | 'missing'> {
  try {
    await fs.stat(lv);
  } catch {
    return 'missing';
  }
  await runner.run('lvremove', ['-f', lv]);
  return 'removed';
}

export async function removeOwnedDisks(deps: DiskRemovalDeps, uuid: string, xml: string): Promise<DiskRemovalResult> {
  const out: DiskRemovalResult = { removed: [], warnings: [] };
  const base = await canonicalPath(deps.instancesPath);
  for (const d of parseDomainXml(xml).disks) {
    if (d.device === 'cdrom' || d.device === 'floppy') continue;
    if (d.type === 'file' && d.path) {
      const p = await canonicalPath(d.path);
      // Strictly below: the instances directory itself is never a disk.
      if (p === base || !isInside(base, p)) {
        const msg = `disk ${d.targetDev}: ${d.path} is outside the instances directory ${deps.instancesPath}; not removed`;
        deps.steps.record(`remove-disk ${d.targetDev}`, 'skipped', msg);
        out.warnings.push(msg);
        continue;
      }
      await deps.steps.run(`remove-disk ${d.targetDev}`, async (s) => {
        await fs.rm(p, { force: true });
        s.detail(p);
      });
      out.removed.push(p);
    } else if (ownedRbd(d, uuid)) {
      await deps.steps.run(`remove-rbd ${d.source}`, async (s) => {
        s.detail(await removeRbd(deps.runner, d.source));
      });
      out.removed.push(`rbd:${d.source}`);
    } else if (ownedLv(d, uuid)) {
      await deps.steps.run(`remove-lv ${d.path}`, async (s) => {
        s.detail(await removeLv(deps.runner, d.path!));
      });
      out.removed.push(d.path!);
    }
  }
  // The instance directory itself (console log, disk.info, ...), if any.
  const dir = path.join(base, uuid);
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch (err) {
    out.warnings.push(`instance directory ${dir}: ${(err as Error).message}`);
  }
  return out;
}

