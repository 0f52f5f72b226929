// A file system that never answers: a FUSE mount whose daemon never replies
// (the kernel's INIT request is never answered, so every call on the mount —
// stat, realpath, open, read — blocks, as on a dead NFS server). No package:
// open /dev/fuse, mount(8) with fd=N (util-linux calls mount(2) directly),
// never read the device.
//
// Cleanup, even when a test fails: abort() closes our /dev/fuse descriptor,
// which aborts the connection (every pending and later call fails with
// ENOTCONN: stuck threads come back), then `umount -l` detaches the mount.
// A process 'exit' hook does the same, and mounts left by earlier runs whose
// process is gone are unmounted on the next mount.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE_PREFIX = 'virtagent-hung-';

export interface HungMount {
  /** The mount point: anything below it hangs. */
  dir: string;
  /** Makes the storage fail instead of hang (ENOTCONN); stuck calls return. Idempotent. */
  abort(): void;
  /** abort(), then unmount and remove the directory. Idempotent. */
  unmount(): void;
}

/** Why FUSE cannot be used here, or undefined when it can. */
export function fuseUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse does not exist';
  if (process.getuid?.() !== 0) return 'mounting needs root (CAP_SYS_ADMIN)';
  try {
    fs.closeSync(fs.openSync('/dev/fuse', 'r+'));
  } catch (err) {
    return `cannot open /dev/fuse (${(err as NodeJS.ErrnoException).code})`;
  }
  if (spawnSync('mount', ['--version']).status !== 0) return 'no mount(8)';
  return probe;
}

let probe: string | undefined;
let probed = false;

/** Unmounts mounts of earlier runs whose test process is gone. */
function sweepStale(): void {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    const source = f[sep + 2] ?? '';
    if (sep < 0 || !source.startsWith(SOURCE_PREFIX)) continue;
    const pid = Number(source.slice(SOURCE_PREFIX.length));
    let alive: boolean;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (!alive || pid === process.pid) spawnSync('umount', ['-l', f[4]!.replace(/\\040/g, ' ')]);
  }
}

const live = new Set<HungMount>();
let hooked = false;

/** Mounts a FUSE file system that never answers on a fresh temp directory. */
export function mountHungFuse(): HungMount {
  if (!probed) {
    probed = true;
    sweepStale();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-hung-'));
  const fd = fs.openSync('/dev/fuse', 'r+');
  const r = spawnSync('mount', ['-t', 'fuse', '-o', 'fd=3,rootmode=40000,user_id=0,group_id=0', `${SOURCE_PREFIX}${process.pid}`, dir], {
    stdio: ['ignore', 'pipe', 'pipe', fd], timeout: 10_000,
  });
  if (r.status !== 0) {
    fs.closeSync(fd);
    fs.rmdirSync(dir);
    probe = `mount -t fuse failed: ${String(r.stderr ?? r.error ?? r.status).trim()}`;
    throw new Error(probe);
  }
  let open = true;
  let mounted = true;
  const m: HungMount = {
    dir,
    abort() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
    unmount() {
      m.abort();
      if (!mounted) return;
      mounted = false;
      live.delete(m);
      spawnSync('umount', ['-l', dir], { timeout: 10_000 });
      try {
        fs.rmdirSync(dir);
      } catch {
        // still busy: the next sweep or reboot; never hung (the connection is aborted)
      }
    },
  };
  live.add(m);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const x of [...live]) x.unmount();
    });
  }
  return m;
}
