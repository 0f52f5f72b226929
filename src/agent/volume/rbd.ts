// Kernel RBD (krbd) host connect and disconnect.
// Connect: an existing head mapping of pool/image is reused, else
//   rbd map --id USER --conf CONF [--cluster C] [-m MONITORS] -- pool/image   → /dev/rbdN
// Disconnect: only a kernel mapping leaves host state;
// QEMU's native librbd attachment (<disk type='network' protocol='rbd'>) has
// none, so "not mapped" is the normal, nothing-to-do case:
//   1. sysfs bus/rbd/devices empty/absent     → krbd not loaded or nothing mapped: done
//      (spares hosts without ceph-common a failing `rbd` call)
//   2. rbd showmapped --format json           → /dev/rbdN of pool/image (head, not snapshots)
//   3. HostVolumeUsage                        → another domain uses that device? stop.
//   4. rbd unmap /dev/rbdN                    → per mapping
import { FailedPrecondition, InvalidArgument } from '../../errors';
import type { DiskInfo } from '../../libvirt/domain-xml';
import { hostIO } from './host-io';
import type { CephClientConfig, ConnectionData, ConnectResult, VolumeAttachment, VolumeConnector, VolumeContext } from './types';
import { dataField, isHostname, parseList, validateRbdPart } from './validate';

const CEPH_NAME = /^[A-Za-z0-9_.+][A-Za-z0-9_.+-]{0,127}$/;

/**
 * `--id`, `--conf`, `--cluster` for every `rbd` call that talks to the
 * cluster (ceph's defaults when empty). Values come from the agent's
 * configuration, checked at start-up; the id from a request is checked here.
 */
export function cephArgs(cfg: Partial<CephClientConfig> | undefined, user?: string): string[] {
  const out: string[] = [];
  const id = user || cfg?.user || '';
  if (id !== '') out.push('--id', id);
  if (cfg?.confPath) out.push('--conf', cfg.confPath);
  if (cfg?.cluster) out.push('--cluster', cfg.cluster);
  return out;
}

/** Cinder's hosts/ports lists as a `-m` monitor list; [] when absent. */
function monitorArgs(data: Record<string, string>): string[] {
  if (data['hosts'] === undefined || data['hosts'].trim() === '') return [];
  const hosts = parseList(dataField('hosts'), data['hosts']);
  const ports = data['ports'] !== undefined && data['ports'].trim() !== '' ? parseList(dataField('ports'), data['ports']) : [];
  if (hosts.length > 64) throw new InvalidArgument(`${dataField('hosts')}[64]`, 'is beyond the limit of 64 monitors');
  if (ports.length !== 0 && ports.length !== hosts.length) {
    throw new InvalidArgument(dataField('ports'), `has ${ports.length} item(s) but hosts has ${hosts.length}`);
  }
  const mons = hosts.map((h, i) => {
    const bare = h.replace(/^\[(.*)\]$/, '$1');
    if (!isHostname(bare) && !/^[0-9a-fA-F:]+$/.test(bare)) throw new InvalidArgument(dataField('hosts'), `${JSON.stringify(h)} is not a host`);
    const port = ports[i];
    if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new InvalidArgument(dataField('ports'), `${JSON.stringify(port)} is not a port`);
    const host = bare.includes(':') ? `[${bare}]` : bare;
    return port === undefined ? host : `${host}:${port}`;
  });
  return ['-m', mons.join(',')];
}

/** Cinder's auth_username, when sent: the cephx id to map with. */
function requestUser(data: Record<string, string>): string {
  const u = data['auth_username'];
  if (u === undefined || u === '') return '';
  if (!CEPH_NAME.test(u)) throw new InvalidArgument(dataField('auth_username'), `${JSON.stringify(u)} is not a cephx user name`);
  return u;
}

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

/** Head (not snapshot) kernel mappings of pool/image in the default namespace. */
async function headMappings(ctx: VolumeContext, pool: string, image: string): Promise<RbdMapping[]> {
  const r = await ctx.runner.run('rbd', ['showmapped', '--format', 'json'], { timeoutMs: ctx.config.commandTimeoutMs });
  const mine = parseShowmapped(r.stdout).filter(
    (m) => m.pool === pool && m.name === image && m.namespace === '' && (m.snap === '-' || m.snap === ''),
  );
  const bad = mine.find((m) => !RBD_DEVICE.test(m.device));
  if (bad) throw new Error(`rbd showmapped reported an unexpected device ${JSON.stringify(bad.device)}`);
  return mine;
}

/** The request's part of `rbd map` (cephx id, monitors), validated. */
export function rbdConnectArgs(data: Record<string, string>): { user: string; monitors: string[] } {
  return { user: requestUser(data), monitors: monitorArgs(data) };
}

export class RbdConnector implements VolumeConnector {
  readonly type = 'rbd' as const;

  validate(data: ConnectionData, opts: { connect?: boolean }): void {
    rbdImage(data);
    if (opts.connect) rbdConnectArgs(data);
  }

  /** Nothing in the request names a host path. */
  async checkPaths(): Promise<void> {}

  /** QEMU's own librbd disk by pool/image, else the kernel mapping by its device path. */
  matchesDisk(data: ConnectionData, disk: DiskInfo): boolean {
    const name = data['name'];
    if (disk.protocol === 'rbd') return disk.source === (name?.includes('/') ? name : `${data['pool']}/${name}`);
    return !!data['device_path'] && disk.source === data['device_path'];
  }

  async connect(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
    const data = vol.connection_info?.data ?? {};
    const { pool, image } = rbdImage(data); // validate before any command
    const { user, monitors: mons } = rbdConnectArgs(data);
    const spec = `${pool}/${image}`;
    const sysfs = (ctx.host ?? hostIO()).sysfs;
    return ctx.steps.run(`rbd: map ${spec}`, async (step) => {
      // Without krbd loaded nothing can be mapped yet: skip the lookup (rbd map loads it).
      if ((await sysfs.list('bus/rbd/devices')).length > 0) {
        const existing = await headMappings(ctx, pool, image);
        if (existing.length > 0) {
          step.detail(`${existing[0]!.device} (already mapped)`);
          return { devicePath: existing[0]!.device };
        }
      }
      const r = await ctx.runner.run('rbd', ['map', ...cephArgs(ctx.config.ceph, user), ...mons, '--', spec],
        { timeoutMs: ctx.config.commandTimeoutMs });
      const device = r.stdout.trim().split('\n').pop()?.trim() ?? '';
      if (!RBD_DEVICE.test(device)) throw new FailedPrecondition(`rbd map ${spec} answered ${JSON.stringify(device.slice(0, 100))}, not a /dev/rbdN device`);
      step.detail(device);
      return { devicePath: device };
    });
  }

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
      const devices = (await headMappings(ctx, pool, image)).map((m) => m.device);
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
