// Glue between the flows and the volume connectors: the connectors' settings
// and context from the agent's configuration.
import type { AgentConfig } from './config';
import type { FlowDeps, OpContext } from './flows/types';
import type { ErrorPolicy, VolumeContext, VolumeHostConfig } from './volume';
import { hostVolumeUsage } from './volume-usage';

export function volumeHostConfig(config: AgentConfig): VolumeHostConfig {
  return {
    nfsMountBase: config.nfsMountBase,
    nfsMountpointHash: config.nfsMountpointHash,
    nfsMountOptions: config.nfsMountOptions,
    localVolumeDirs: config.localVolumeDirs,
    ceph: { user: config.rbd.user, confPath: config.rbd.confPath, cluster: config.rbd.cluster },
    iscsi: {
      deviceWaitMs: config.iscsi.deviceWaitSeconds * 1000,
      removalWaitMs: config.iscsi.removalWaitSeconds * 1000,
      flushAttempts: config.iscsi.flushAttempts,
      useMultipath: config.iscsi.useMultipath,
    },
  };
}

/**
 * A connector context for one request. `exclude` is the disk being
 * disconnected: it is not "another user" of its own storage.
 */
export function volumeContext(deps: FlowDeps, ctx: OpContext, errors: ErrorPolicy, exclude?: { uuid: string; targetDev: string })
  : VolumeContext {
  return {
    runner: deps.runner,
    logger: ctx.logger,
    steps: ctx.steps,
    errors,
    usage: hostVolumeUsage(deps.host, exclude),
    config: volumeHostConfig(deps.config),
    clock: deps.clock,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}
