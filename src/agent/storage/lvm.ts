// LVM-backed instance disks (Nova's images_type=lvm): listing a volume
// group's LVs, wiping an LV as Nova's volume_clear does (zero with dd, or
// shred, over volume_clear_size MiB or the whole LV) and removing it. Every
// command goes through the CommandRunner (argument arrays, bounded); names are
// validated and never option-like.
import { InvalidArgument } from '../../errors';
import type { CommandRunner } from '../exec';

export type VolumeClear = 'none' | 'zero' | 'shred';

export interface LvmDeps {
  runner: CommandRunner;
  volumeClear: VolumeClear;
  /** 0 = the whole LV. */
  volumeClearSizeMiB: number;
  /** Bound of each wipe command (a large LV takes a while). */
  wipeTimeoutMs: number;
  commandTimeoutMs?: number;
}

const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,127}$/;
const MiB = 1024 * 1024;
/** lvs: "Volume group ... not found". */
const LVM_NOT_FOUND = 5;

export function validateLvmName(field: string, name: string): string {
  if (!LVM_NAME.test(name) || name === '.' || name === '..') throw new InvalidArgument(field, `${JSON.stringify(name)} is not an LVM name`);
  return name;
}

/** LV names in a volume group; [] when the group does not exist. */
export async function listLvs(d: LvmDeps, vg: string): Promise<string[]> {
  validateLvmName('lvm volume group', vg);
  const r = await d.runner.run('lvs', ['--noheadings', '--options', 'lv_name', '--', vg], { okCodes: [0, LVM_NOT_FOUND], timeoutMs: d.commandTimeoutMs });
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Overwrites the start (volume_clear_size) or all of an LV; returns what was done. */
export async function wipeLv(d: LvmDeps, vg: string, lv: string): Promise<string> {
  const dev = `/dev/${validateLvmName('lvm volume group', vg)}/${validateLvmName('logical volume', lv)}`;
  if (d.volumeClear === 'none') return 'not wiped (volume_clear=none)';
  const size = Number((await d.runner.run('blockdev', ['--getsize64', dev], { timeoutMs: d.commandTimeoutMs })).stdout.trim());
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`blockdev --getsize64 ${dev}: unexpected size`);
  const limit = d.volumeClearSizeMiB * MiB;
  const bytes = limit > 0 && limit < size ? limit : size;
  const opts = { timeoutMs: d.wipeTimeoutMs };
  if (d.volumeClear === 'shred') {
    await d.runner.run('shred', ['-n3', `-s${bytes}`, '--', dev], opts);
    return `shredded ${bytes} bytes`;
  }
  const whole = Math.floor(bytes / MiB);
  if (whole > 0) await d.runner.run('dd', ['if=/dev/zero', `of=${dev}`, 'bs=1M', `count=${whole}`, 'oflag=direct'], opts);
  const rest = bytes - whole * MiB;
  if (rest > 0) {
    // The tail below 1 MiB, in 512-byte blocks when it can be; O_DIRECT needs aligned
    // whole blocks, so this part is synced instead (as Nova does).
    const bs = rest % 512 === 0 ? 512 : 1;
    await d.runner.run('dd', ['if=/dev/zero', `of=${dev}`, `bs=${bs}`, `seek=${(whole * MiB) / bs}`, `count=${rest / bs}`, 'conv=fdatasync'], opts);
  }
  return `zeroed ${bytes} bytes`;
}

export async function removeLv(d: LvmDeps, vg: string, lv: string): Promise<void> {
  await d.runner.run('lvremove', ['-f', '--', `${validateLvmName('lvm volume group', vg)}/${validateLvmName('logical volume', lv)}`],
    { timeoutMs: d.commandTimeoutMs });
}
