'use strict';
// A FUSE mount whose daemon never answers (as a dead NFS server): open
// /dev/fuse, mount(8) it with fd=3, never read the device. abort() closes the
// device descriptor (every pending and later call then fails with ENOTCONN),
// unmount() also detaches it (umount -l). A process 'exit' hook cleans up.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** Why this machine cannot do it, or null. */
function fuseUnavailable() {
  if (process.platform !== 'linux') return 'not Linux';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse does not exist';
  if (process.getuid && process.getuid() !== 0) return 'mounting FUSE needs root (CAP_SYS_ADMIN)';
  return null;
}

const live = new Set();

function mountHungFuse() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-bench-hung-'));
  const fd = fs.openSync('/dev/fuse', 'r+');
  const r = spawnSync('mount', ['-t', 'fuse', '-o', 'fd=3,rootmode=40000,user_id=0,group_id=0', `virtagent-hung-${process.pid}`, dir], {
    stdio: ['ignore', 'pipe', 'pipe', fd], timeout: 10000,
  });
  if (r.status !== 0) {
    fs.closeSync(fd);
    fs.rmdirSync(dir);
    throw new Error(`mount -t fuse failed: ${String(r.stderr || r.error || r.status).trim()}`);
  }
  let open = true;
  let mounted = true;
  const m = {
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
      spawnSync('umount', ['-l', dir], { timeout: 10000 });
      try {
        fs.rmdirSync(dir);
      } catch {
        // never hung: the connection is aborted
      }
    },
  };
  if (live.size === 0) process.once('exit', () => { for (const x of [...live]) x.unmount(); });
  live.add(m);
  return m;
}

module.exports = { fuseUnavailable, mountHungFuse };
