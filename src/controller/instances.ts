// Create, stop and start. Create reserves quota and records the instance (and
// its volumes) in one transaction, then the agent defines and starts the
// domain: active on success; on failure VM_STATE_ERROR holding no quota.
// Stop and start claim the instance (claim.ts), ask the agent, and complete.
import { Conflict, FailedPrecondition, InvalidArgument, Unavailable } from '../errors';
import type { CreateInstanceRequest } from '../generated/virtcontroller/v1';
import * as agent from './agent-calls';
import { clientError, powerStateOf, reason, silence, unreachable } from './agent-calls';
import { claim, complete, precondition, type Claim } from './claim';
import type { Deps } from './deps';
import type { InstanceRow, RequestContext } from './types';
import { checkFileDisks, countField, fileDisksOf, MAX_MEMORY_MIB, MAX_VCPUS, nameField, prepareDomainXml, projectField, uuidField, volumeSpecs } from './validate';

/** How long an agent's reported instances path is trusted before it is asked again. */
const INSTANCES_PATH_TTL_MS = 300_000;

/** Each host's instances directory as its agent reports it (GetHostInfo), asked at create and kept a while. */
export class InstancesPaths {
  private readonly paths = new Map<string, { path: string; at: number }>();

  async of(deps: Deps, host: string): Promise<string> {
    const now = Date.now();
    const hit = this.paths.get(host);
    if (hit && now - hit.at < INSTANCES_PATH_TTL_MS) return hit.path;
    const p = (await agent.hostInfo(deps, host)).instances_path;
    if (!p.startsWith('/')) {
      throw new FailedPrecondition(`the agent on host ${host} does not report its instances path; file disks cannot be checked there`);
    }
    this.paths.set(host, { path: p, at: now });
    return p;
  }
}

/** Calls that need the host fail fast, changing nothing, while it is down. */
export function requireHostUp(deps: Deps, host: string, what: string): void {
  if (deps.liveness.isDown(host)) throw new Unavailable(`${deps.liveness.describe(host)}; ${what}`);
}

/** Reserve quota and record the instance, define + start it on the host, then active (or error, quota released). */
export async function createInstance(deps: Deps, paths: InstancesPaths, req: CreateInstanceRequest, ctx: RequestContext): Promise<InstanceRow> {
  const { store, quota, agents } = deps;
  const name = nameField(req.name);
  const projectId = projectField(req.project_id);
  const host = typeof req.host === 'string' ? req.host : '';
  if (host === '') throw new InvalidArgument('host', 'is required');
  // A host another replica just registered: read the hosts table once before refusing it.
  if (!agents.has(host)) await deps.hosts?.refresh();
  if (!agents.has(host)) throw new InvalidArgument('host', `unknown host ${JSON.stringify(host.slice(0, 64))} (known: ${agents.hostNames().join(', ') || 'none'})`);
  const vcpus = countField(req.vcpus, 'vcpus', MAX_VCPUS);
  const memoryMib = countField(req.memory_mib, 'memory_mib', MAX_MEMORY_MIB);
  const specs = volumeSpecs(req.volumes);
  const domain = prepareDomainXml(req.domain_xml ?? '', { vcpus, memoryMib });
  const uuid = domain.uuid;
  requireHostUp(deps, host, 'nothing was created');
  await deps.hosts?.requireEnabled(host);
  // File disks only in the instance's own directory on that host (asked of its agent only when there are any).
  const volumeTargets = new Set(specs.map((s) => s.target_dev));
  if (fileDisksOf(domain.xml, volumeTargets).length > 0) {
    let instancesPath: string;
    try {
      instancesPath = await paths.of(deps, host);
    } catch (err) {
      throw clientError(err, `checking the disks of instance ${uuid} against host ${host}`);
    }
    checkFileDisks(domain.xml, uuid, instancesPath, volumeTargets, host);
  }

  const actionId = await store.tx(async () => {
    if (await store.getInstance(uuid)) throw new Conflict(`instance ${uuid} already exists (domain_xml <uuid>)`);
    await quota.check(projectId, { instances: 1, vcpus, memoryMib });
    await store.insertInstance({
      uuid, name, project_id: projectId, host, vcpus, memory_mib: memoryMib, vm_state: 'building', task_state: 'spawning', quota_held: 1,
      lease_owner: deps.replica.id, lease_expires_at: store.clock.now() + deps.replica.taskLeaseMs,
    });
    for (const [i, s] of specs.entries()) {
      const ok = await store.attachVolume({
        id: s.volume_id, instance_uuid: uuid, status: 'attaching', target_dev: s.target_dev,
        connection_info: JSON.stringify(s.connection_info), delete_on_termination: s.delete_on_termination ? 1 : 0,
      });
      if (!ok) {
        const v = await store.requireVolume(s.volume_id);
        throw new FailedPrecondition(`volumes[${i}].volume_id: volume ${v.id} is ${v.status}${v.instance_uuid ? ` (instance ${v.instance_uuid})` : ''}`);
      }
    }
    return (await store.startAction(uuid, 'create', ctx)).id;
  });
  deps.leases?.hold(uuid);
  const created = await store.requireInstance(uuid);
  const c: Claim = { row: created, before: created, actionId, action: 'create', requestId: ctx.requestId, agentRequestId: '' };

  try {
    const res = await agent.defineDomain(deps, host, domain.xml);
    if (res.uuid !== '' && res.uuid.toLowerCase() !== uuid) {
      throw new Conflict(`agent defined domain ${res.uuid}, expected ${uuid}`);
    }
    return await complete(deps, c, { vm_state: 'active', task_state: 'none', launched: 1, power_state: powerStateOf(res, 'RUNNING') }, 'success',
      undefined, async () => { for (const s of specs) await store.casVolume(s.volume_id, uuid, ['attaching'], { status: 'in-use' }); });
  } catch (err) {
    await complete(deps, c, { vm_state: 'error', task_state: 'none', quota_held: 0, error: `create failed: ${reason(err)}` },
      'error', reason(err), async () => { for (const s of specs) await store.detachVolume(s.volume_id, uuid, ['attaching']); });
    throw clientError(err, `creating instance ${uuid} on host ${host} failed`, 'domain_xml');
  }
}

/** active -> (PowerOff with the clean-shutdown budget) -> stopped. */
export async function stopInstance(deps: Deps, uuidIn: string | undefined, ctx: RequestContext): Promise<InstanceRow> {
  const uuid = uuidField(uuidIn);
  const r = await claim(deps, uuid, ctx, 'stop', (row) => {
    if (row.vm_state !== 'active' || row.task_state !== 'none') throw precondition(row, 'only an active instance with no task can be stopped');
    requireHostUp(deps, row.host, `instance ${uuid} is unchanged`);
    return { task_state: 'powering_off' };
  });
  if ('ignored' in r) return r.ignored;
  const c = r.claimed;
  try {
    const res = await agent.powerOff(deps, c.row, c.agentRequestId);
    return await complete(deps, c, { vm_state: 'stopped', task_state: 'none', power_state: powerStateOf(res, 'SHUTOFF') }, 'success',
      !res.clean ? 'the guest did not stop cleanly and was destroyed' : undefined);
  } catch (err) {
    return await failed(deps, c, err, 'stop', `stopping instance ${uuid} failed`);
  }
}

/** stopped -> (PowerOn) -> active. */
export async function startInstance(deps: Deps, uuidIn: string | undefined, ctx: RequestContext): Promise<InstanceRow> {
  const uuid = uuidField(uuidIn);
  const r = await claim(deps, uuid, ctx, 'start', (row) => {
    if (row.vm_state !== 'stopped' || row.task_state !== 'none') throw precondition(row, 'only a stopped instance with no task can be started');
    requireHostUp(deps, row.host, `instance ${uuid} is unchanged`);
    return { task_state: 'powering_on' };
  });
  if ('ignored' in r) return r.ignored;
  const c = r.claimed;
  try {
    const res = await agent.powerOn(deps, c.row, c.agentRequestId);
    return await complete(deps, c, { vm_state: 'active', task_state: 'none', power_state: powerStateOf(res, 'RUNNING') }, 'success');
  } catch (err) {
    return await failed(deps, c, err, 'start', `starting instance ${uuid} failed`);
  }
}

/** Stop/start failures: unreachable agent = nothing happened (back as it was, UNAVAILABLE); else error. */
async function failed(deps: Deps, c: Claim, err: unknown, what: string, message: string): Promise<never> {
  if (unreachable(err)) {
    await complete(deps, c, { task_state: 'none' }, 'error', reason(err));
    throw new Unavailable(`${silence(err, c.row.host)}; instance ${c.row.uuid} is unchanged: ${reason(err)}`, { cause: err });
  }
  await complete(deps, c, { vm_state: 'error', task_state: 'none', error: `${what} failed: ${reason(err)}` }, 'error', reason(err));
  throw clientError(err, message);
}
