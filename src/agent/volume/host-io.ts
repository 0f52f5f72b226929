// Host file interfaces the connectors need besides commands: sysfs (SCSI
// device removal, dm holders, krbd) and the mount table. Injectable so unit
// tests can point them at a temporary directory tree instead of /sys.
import path from 'node:path';
import { InvalidArgument, Timeout } from '../../errors';
import * as storage from '../storage-io';

// Path helpers moved to storage-io.ts (bounded, off libuv's pool); kept here for importers.
export { canonicalPath } from '../storage-paths';

export const DEFAULT_IO_TIMEOUT_MS = 10_000;

export interface SysfsIO {
  /** Entry names of a directory relative to the sysfs root; [] when it does not exist. */
  list(rel: string): Promise<string[]>;
  /** Trimmed file content; undefined when it does not exist. */
  read(rel: string): Promise<string | undefined>;
  /** Writes an attribute (e.g. "1" to block/sdb/device/delete). */
  write(rel: string, data: string): Promise<void>;
}

export interface HostIO {
  sysfs: SysfsIO;
  /** Content of /proc/self/mountinfo. */
  readMountinfo(): Promise<string>;
  /** Whether a device node or file exists (e.g. /dev/disk/by-path/...). */
  pathExists(p: string): Promise<boolean>;
  /** A symlink's target, resolved to an absolute path; undefined when there is no such link. */
  resolveLink(p: string): Promise<string | undefined>;
}

/**
 * Bounds a wait (stops waiting; it frees nothing). File-system calls on
 * storage use storage-io.ts, whose deadlines also keep a stuck call from
 * holding a shared thread.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const REL_PATH = /^[A-Za-z0-9_:.+-]+(\/[A-Za-z0-9_:.+-]+)*$/;

/** Confines every access to the sysfs root: relative, no "..", plain names. */
function confine(root: string, rel: string): string {
  if (!REL_PATH.test(rel) || rel.split('/').some((p) => p === '..' || p === '.')) {
    throw new InvalidArgument('sysfs path', `refusing ${JSON.stringify(rel)}`);
  }
  return path.join(root, rel);
}

const isMissing = storage.isMissing;

/** One admission slot per device (block/sdb, bus/rbd, ...): a hung device holds only its own. */
function sysfsKey(rel: string): string {
  return `sysfs:${rel.split('/').slice(0, 2).join('/')}`;
}

export function hostSysfs(opts: { root?: string; timeoutMs?: number } = {}): SysfsIO {
  const root = opts.root ?? '/sys';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  return {
    async list(rel) {
      try {
        return await storage.readdir(confine(root, rel), { timeoutMs, key: sysfsKey(rel) });
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
    },
    async read(rel) {
      try {
        return (await storage.readFile(confine(root, rel), { timeoutMs, key: sysfsKey(rel) })).trim();
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async write(rel, data) {
      // sysfs attributes exist; storage.writeFile never creates a file that is not there.
      await storage.writeFile(confine(root, rel), data, { timeoutMs, key: sysfsKey(rel) });
    },
  };
}

export function hostIO(opts: { timeoutMs?: number } = {}): HostIO {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  return {
    sysfs: hostSysfs({ timeoutMs }),
    readMountinfo: () => storage.readFile('/proc/self/mountinfo', { timeoutMs, key: 'proc', maxBytes: 8 << 20 }),
    pathExists: (p) => storage.exists(p, { timeoutMs }),
    async resolveLink(p) {
      const target = await storage.readlink(p, { timeoutMs });
      return target === undefined ? undefined : path.resolve(path.dirname(p), target);
    },
  };
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/<pid>/mountinfo (proc(5)): "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 5 || sep < 6) continue;
    out.push({ mountPoint: unescapeMount(fields[4]!), fsType: fields[sep + 1] ?? '', source: unescapeMount(fields[sep + 2] ?? '') });
  }
  return out;
}
