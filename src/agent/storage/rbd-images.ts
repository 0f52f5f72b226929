// Removing instance images from Ceph RBD the way Cinder and Nova do:
// unprotect protected snapshots, purge the snapshots, remove the image. A
// missing image is success; a busy one (watchers: a QEMU or krbd client still
// has it open, EBUSY) is retried a bounded number of times and then reported
// as FAILED_PRECONDITION "in use" — never UNAVAILABLE, which callers read as
// "the host is down". Every call carries --id/--conf/--cluster from the
// agent's configuration, names are validated, and positional arguments come
// after "--" so nothing can be read as an option.
import { FailedPrecondition } from '../../errors';
import type { Clock } from '../clock';
import type { CommandRunner, RunResult } from '../exec';
import { cephArgs } from '../volume/rbd';
import type { CephClientConfig } from '../volume/types';
import { validateRbdPart } from '../volume/validate';

export interface RbdImageDeps {
  runner: CommandRunner;
  clock: Clock;
  ceph: CephClientConfig;
  /** `rbd rm` attempts while the image is busy, and the pause between them. */
  busyRetries: number;
  busyRetryIntervalMs: number;
  signal?: AbortSignal;
  commandTimeoutMs?: number;
}

const ENOENT = 2;
const EBUSY = 16;

// rbd exits with the errno of the failure; the message is the fallback.
const missing = (r: RunResult): boolean => r.code === ENOENT || /\(2\) No such file or directory/.test(r.stderr);
const busy = (r: RunResult): boolean => r.code === EBUSY || /\(16\) Device or resource busy|still has watchers/.test(r.stderr);

function rbd(d: RbdImageDeps, args: string[], positional: string[], okCodes: number[]): Promise<RunResult> {
  return d.runner.run('rbd', [...args, ...cephArgs(d.ceph), '--', ...positional], { okCodes, timeoutMs: d.commandTimeoutMs });
}

/** Image names in a pool; [] when the pool does not exist. */
export async function listImages(d: RbdImageDeps, pool: string): Promise<string[]> {
  validateRbdPart('rbd pool', 'pool', pool);
  const r = await rbd(d, ['ls', '--format', 'json'], [pool], [0, ENOENT]);
  if (r.code !== 0) return [];
  const parsed: unknown = JSON.parse(r.stdout.trim() || '[]');
  if (!Array.isArray(parsed)) throw new Error(`rbd ls ${pool}: unexpected output`);
  return parsed.filter((n): n is string => typeof n === 'string');
}

interface Snapshot {
  name: string;
  protected?: string | boolean;
}

/** Removes pool/image with its snapshots; 'missing' when it was not there. */
export async function removeImage(d: RbdImageDeps, pool: string, image: string): Promise<'removed' | 'missing'> {
  validateRbdPart('rbd pool', 'pool', pool);
  validateRbdPart('rbd image', 'image', image);
  const spec = `${pool}/${image}`;
  const ls = await rbd(d, ['snap', 'ls', '--format', 'json'], [spec], [0, ENOENT]);
  if (ls.code !== 0) return 'missing';
  const snaps = JSON.parse(ls.stdout.trim() || '[]') as Snapshot[];
  for (const s of snaps) {
    if (s.protected !== true && s.protected !== 'true') continue;
    const r = await rbd(d, ['snap', 'unprotect'], [`${spec}@${s.name}`], [0, ENOENT, EBUSY]);
    // A protected snapshot with clones cannot be unprotected: the image is in use by them.
    if (busy(r)) throw new FailedPrecondition(`rbd image ${spec} in use: snapshot ${s.name} has clones`);
  }
  if (snaps.length > 0) await rbd(d, ['snap', 'purge'], [spec], [0, ENOENT]);
  const attempts = Math.max(1, d.busyRetries);
  for (let i = 1; ; i++) {
    const r = await rbd(d, ['rm'], [spec], [0, ENOENT, EBUSY]);
    if (r.code === 0) return 'removed';
    if (missing(r)) return 'missing';
    if (!busy(r) || i >= attempts) {
      throw new FailedPrecondition(`rbd image ${spec} in use (still has watchers) after ${attempts} attempt(s); retry once its clients are gone`);
    }
    await d.clock.sleep(d.busyRetryIntervalMs, d.signal);
  }
}
