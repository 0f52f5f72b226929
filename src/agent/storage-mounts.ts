// Which mount point a storage path lies on, for storage-io's per-mount slots:
// /proc/self/mountinfo, read on the storage threads (bounded) and reused for
// a few seconds.
import path from 'node:path';

import { native } from '../libvirt/native';

const MOUNT_TABLE_TTL_MS = 5000;
let mountTable: { at: number; points: string[] } | undefined;
let refreshing: Promise<string[]> | undefined;

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of /proc/self/mountinfo, longest first. */
export function mountPoints(mountinfo: string): string[] {
  const points = new Set<string>(['/']);
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length > 5) points.add(unescapeMount(f[4]!));
  }
  return [...points].sort((a, b) => b.length - a.length);
}

async function currentMounts(): Promise<string[]> {
  if (mountTable && Date.now() - mountTable.at < MOUNT_TABLE_TTL_MS) return mountTable.points;
  refreshing ??= (async () => {
    try {
      // procfs, never remote storage; still bounded, and outside the slots.
      const text = await raceTimeout(native().storage.readFile('/proc/self/mountinfo', 8 << 20), 2000);
      mountTable = { at: Date.now(), points: mountPoints(text) };
    } catch {
      // Keep the last table (or just "/") until the next try.
      mountTable = { at: Date.now(), points: mountTable?.points ?? ['/'] };
    } finally {
      refreshing = undefined;
    }
    return mountTable.points;
  })();
  return refreshing;
}

function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), ms); })])
    .finally(() => clearTimeout(timer));
}

/** Reads the mount table again on the next call (it is otherwise reused for a few seconds). */
export function forgetMountTable(): void {
  mountTable = undefined;
}

/**
 * The mount point a path lies on, by its lexical form (a symlink into another
 * mount is attributed to the mount of the link; the total limit still holds).
 */
export async function mountOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  for (const m of await currentMounts()) {
    if (m === '/' || abs === m || abs.startsWith(`${m}/`)) return m;
  }
  return '/';
}
