// Host file interfaces the connectors need besides commands: sysfs (SCSI
// device removal, dm holders, krbd) and the mount table. Injectable so unit
// tests can point them at a temporary directory tree instead of /sys.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { InvalidArgument, Timeout } from '../../errors';

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
 * Bounds a wait. A sysfs write to a hung device can block a libuv thread
 * forever; we stop waiting (the thread is lost, the request is not).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * The canonical form of a path, for confinement checks: symlinks resolved.
 * For a path that does not exist (or whose realpath hangs on a dead mount),
 * its parent's canonical form plus the name, so a missing file below a
 * symlinked directory still resolves to where it would really be.
 */
export async function canonicalPath(p: string, timeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<string> {
  const real = (q: string) => withTimeout(fsp.realpath(q), timeoutMs, `realpath ${q}`);
  try {
    return await real(p);
  } catch {
    try {
      return path.join(await real(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

const REL_PATH = /^[A-Za-z0-9_:.+-]+(\/[A-Za-z0-9_:.+-]+)*$/;

/** Confines every access to the sysfs root: relative, no "..", plain names. */
function confine(root: string, rel: string): string {
  if (!REL_PATH.test(rel) || rel.split('/').some((p) => p === '..' || p === '.')) {
    throw new InvalidArgument('sysfs path', `refusing ${JSON.stringify(rel)}`);
  }
  return path.join(root, rel);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function hostSysfs(opts: { root?: string; timeoutMs?: number } = {}): SysfsIO {
  const root = opts.root ?? '/sys';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  return {
    async list(rel) {
      try {
        return (await withTimeout(fsp.readdir(confine(root, rel)), timeoutMs, `readdir ${rel}`)).sort();
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
    },
    async read(rel) {
      try {
        return (await withTimeout(fsp.readFile(confine(root, rel), 'utf8'), timeoutMs, `read ${rel}`)).trim();
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async write(rel, data) {
      // 'r+': sysfs attributes exist; never create a file that is not there.
      const file = confine(root, rel);
      await withTimeout(fsp.writeFile(file, data, { flag: 'r+' }), timeoutMs, `write ${file}`);
    },
  };
}

export function hostIO(opts: { timeoutMs?: number } = {}): HostIO {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  return {
    sysfs: hostSysfs({ timeoutMs }),
    readMountinfo: () => withTimeout(fsp.readFile('/proc/self/mountinfo', 'utf8'), timeoutMs, 'read /proc/self/mountinfo'),
    async pathExists(p) {
      try {
        await withTimeout(fsp.stat(p), timeoutMs, `stat ${p}`);
        return true;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },
    async resolveLink(p) {
      try {
        return path.resolve(path.dirname(p), await withTimeout(fsp.readlink(p), timeoutMs, `readlink ${p}`));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
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
