// Kernel RBD (krbd) host disconnect. Only a kernel mapping leaves host state;
// QEMU's native librbd attachment (<disk type='network' protocol='rbd'>) has
// none, so "not mapped" is the normal, nothing-to-do case:
//   1. sysfs bus/rbd/devices empty/absent     → krbd not loaded or nothing mapped: done
//      (spares hosts without ceph-common a failing `rbd` call)
//   2. rbd showmapped --format json           → /dev/rbdN of pool/image (head, not snapshots)
//   3. HostVolumeUsage                        → another domain uses that device? stop.
//   4. rbd unmap /dev/rbdN                    → per mapping
import { InvalidArgument } from '../../errors';
import { hostIO } from './host-io';
import type { VolumeAttachment, VolumeConnector, VolumeContext } from './types';
import { dataField, validateRbdPart } from './validate';

export interface RbdImage {
  pool: string;
  image: string;
}

/**
 * Keys read from data: `pool` + `name` (image), or `name` alone as "pool/image".
 * Cinder also sends hosts/ports/auth_username/device_path; unmapping needs
 * none of them (showmapped and unmap work from sysfs).
 */
export function rbdImage(data: Record<string, string>): RbdImage {
  const name = data['name'];
  if (name === undefined || name === '') throw new InvalidArgument(dataField('name'), 'is required');
  if (data['pool'] !== undefined) {
    return {
      pool: validateRbdPart(dataField('pool'), 'pool', data['pool']),
      image: validateRbdPart(dataField('name'), 'image', name),
    };
  }
  const parts = name.split('/');
  if (parts.length !== 2) throw new InvalidArgument(dataField('name'), `${JSON.stringify(name)} must be "pool/image" when data.pool is absent`);
  return {
    pool: validateRbdPart(dataField('name'), 'pool', parts[0]!),
    image: validateRbdPart(dataField('name'), 'image', parts[1]!),
  };
}

export interface RbdMapping {
  id: string;
  pool: string;
  namespace: string;
  name: string;
  snap: string;
  device: string;
}

/**
 * `rbd showmapped --format json`: an array since Nautilus
 * ([{id,pool,namespace,name,snap,device}]), an object keyed by id before.
 */
export function parseShowmapped(stdout: string): RbdMapping[] {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  const rows: Array<[string | undefined, unknown]> = Array.isArray(parsed)
    ? parsed.map((r) => [undefined, r])
    : parsed !== null && typeof parsed === 'object'
      ? Object.entries(parsed)
      : [];
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return rows
    .filter(([, r]) => r !== null && typeof r === 'object')
    .map(([key, r]) => {
      const o = r as Record<string, unknown>;
      return { id: str(o['id'] ?? key), pool: str(o['pool']), namespace: str(o['namespace']), name: str(o['name']), snap: str(o['snap']), device: str(o['device']) };
    });
}

const RBD_DEVICE = /^\/dev\/rbd\d{1,6}$/;

export class RbdConnector implements VolumeConnector {
  readonly type = 'rbd' as const;

  async disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
    const data = vol.connection_info?.data ?? {};
    const { pool, image } = rbdImage(data); // validate before any command
    const { errors, runner } = ctx;
    const sysfs = (ctx.host ?? hostIO()).sysfs;
    const spec = `${pool}/${image}`;
    const opts = { timeoutMs: ctx.config.commandTimeoutMs };

    const loaded = await errors.attempt('rbd: check kernel mappings', async (step) => {
      const ids = await sysfs.list('bus/rbd/devices');
      step.detail(ids.length ? `${ids.length} kernel mapping(s) on host` : 'no kernel RBD mappings (QEMU librbd needs no host step)');
      if (ids.length === 0) step.outcome('skipped');
      return ids.length > 0;
    });
    if (!loaded.ok || !loaded.value) return;

    const found = await errors.attempt(`rbd: find mapping of ${spec}`, async (step) => {
      const r = await runner.run('rbd', ['showmapped', '--format', 'json'], opts);
      const mine = parseShowmapped(r.stdout).filter(
        (m) => m.pool === pool && m.name === image && m.namespace === '' && (m.snap === '-' || m.snap === ''),
      );
      const bad = mine.find((m) => !RBD_DEVICE.test(m.device));
      if (bad) throw new Error(`rbd showmapped reported an unexpected device ${JSON.stringify(bad.device)}`);
      const devices = mine.map((m) => m.device);
      const hint = data['device_path'];
      step.detail(devices.length ? devices.join(',') : 'not mapped');
      if (devices.length === 0) step.outcome('skipped');
      if (hint && devices.length && !devices.includes(hint) && !hint.startsWith('/dev/rbd/')) {
        errors.warn(`rbd: device_path ${hint} is not a mapping of ${spec}; unmapping ${devices.join(',')} as reported by rbd showmapped`);
      }
      return devices;
    });
    if (!found.ok || found.value.length === 0) return;
    const devices = found.value;

    const shared = await errors.attempt(`rbd: check other users of ${spec}`, async (step) => {
      const ours = new Set([...devices, `/dev/rbd/${pool}/${image}`]);
      const users = (await ctx.usage.otherDiskSources()).filter((d) => ours.has(d.source));
      step.detail(users.length ? `in use by ${users.map((u) => `${u.domain}/${u.targetDev}`).join(', ')}` : 'no other users');
      if (users.length) step.outcome('skipped');
      return users.length > 0;
    });
    if (!shared.ok || shared.value) return;

    for (const dev of devices) {
      await errors.attempt(`rbd: unmap ${dev}`, () => runner.run('rbd', ['unmap', dev], opts));
    }
  }
}
