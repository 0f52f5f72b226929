// A failed NFS mount in the error taxonomy (volume/nfs.ts mountFailure): the
// server unreachable → Unavailable (retryable), refused or misconfigured →
// FailedPrecondition, other mount(8) failures → Internal; each names the
// export. This machine has no NFS client or server, so `mount -t nfs` goes to
// a ScriptedRunner behind the CommandRunner interface (exit codes through the
// same checkExit() as the real runner; stderr as mount.nfs prints it under
// LC_ALL=C). The mount base, mountpoint directory and /proc/self/mountinfo
// are real.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { CommandError } from '../../src/agent/exec';
import { connectHost } from '../../src/agent/volume';
import { hostIO } from '../../src/agent/volume/host-io';
import { mountFailure, nfsMountpoint } from '../../src/agent/volume/nfs';
import type { VolumeAttachment } from '../../src/agent/volume/types';
import type { AppError } from '../../src/errors';
import * as grpc from '@grpc/grpc-js';

import { toGrpcStatus } from '../../src/grpc/status';
import { ScriptedRunner, type Expectation } from '../helpers/scripted-runner';
import { makeCtx } from '../helpers/volume-ctx';

const EXPORT = '192.0.2.7:/srv/cinder';
const vol: VolumeAttachment = { volume_id: 'vol-7', target_dev: 'vdb', connection_info: { driver_volume_type: 'nfs', data: { export: EXPORT, name: 'volume-7' } } };

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** Connects `vol` with the mount answering as `answer`; the error it fails with, and the mountpoint. */
async function failedMount(answer: Omit<Expectation, 'cmd' | 'args'>): Promise<{ err: AppError; mountpoint: string; steps: string[][] }> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'virt-agent-nfs-err-'));
  dirs.push(base);
  const mountpoint = nfsMountpoint(base, EXPORT);
  const runner = new ScriptedRunner().push({ cmd: 'mount', args: ['-t', 'nfs', '--', EXPORT, mountpoint], ...answer });
  const { ctx, steps } = makeCtx({ runner, host: hostIO(), config: { nfsMountBase: base } });
  const err = await connectHost(vol, ctx).then(() => { throw new Error('connect succeeded'); }, (e: unknown) => e as AppError);
  runner.assertDone();
  return { err, mountpoint, steps: steps.steps.map((s) => [s.name, s.outcome]) };
}

const exit32 = (stderr: string) => ({ result: { code: 32, stderr } });

describe('NFS mount failures', () => {
  it.each([
    ['the server is down', 'mount.nfs: Connection timed out'],
    ['no route to the server', 'mount.nfs: No route to host'],
    ['the server refuses connections', 'mount.nfs: Connection refused'],
    ['the portmapper cannot be reached', 'mount.nfs: portmap query failed: RPC: Unable to receive - Connection refused'],
    ['the resolver is down', 'mount.nfs: Failed to resolve server nfs1: Temporary failure in name resolution'],
  ])('%s: UNAVAILABLE, naming the export and what mount said', async (_, stderr) => {
    const { err, steps } = await failedMount(exit32(stderr));
    expect(err.kind).toBe('Unavailable');
    expect(toGrpcStatus(err).code).toBe(grpc.status.UNAVAILABLE);
    expect(err.message).toContain(`NFS export ${EXPORT}: the NFS server could not be reached`);
    expect(err.message).toContain(`exited with code 32: ${stderr}`);
    expect(err.cause).toBeInstanceOf(CommandError);
    expect(steps).toEqual([[`nfs: mount ${EXPORT}`, 'failed']]);
  });

  it.each([
    ['access denied by the server', exit32(`mount.nfs: access denied by server while mounting ${EXPORT}`)],
    ['no such export', exit32(`mount.nfs: mounting ${EXPORT} failed, reason given by server: No such file or directory`)],
    ['an NFS version the server does not speak', exit32('mount.nfs: requested NFS version or transport protocol is not supported')],
    ['no NFS client on this host (no mount.nfs helper)', exit32('mount: /mnt/x: bad option; for several filesystems (e.g. nfs, cifs) you might need a /sbin/mount.<type> helper program.')],
    ['an unknown server name', exit32('mount.nfs: Failed to resolve server nfs9: Name or service not known')],
    ['the agent may not mount (exit 1)', { result: { code: 1, stderr: 'mount: only root can use "--types" option' } }],
    ['mount cannot be run', { error: new CommandError('mount', ['-t', 'nfs'], -1, '', { reason: 'failed to run (ENOENT)' }) }],
  ])('%s: FAILED_PRECONDITION, naming the export and the mountpoint', async (_, answer) => {
    const { err, mountpoint } = await failedMount(answer);
    expect(err.kind).toBe('FailedPrecondition');
    expect(toGrpcStatus(err).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.message).toMatch(new RegExp(`^NFS export ${EXPORT.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} could not be mounted on ${mountpoint}: mount `));
  });

  it('another mount(8) failure (system error, exit 2): INTERNAL, naming the export', async () => {
    const { err } = await failedMount({ result: { code: 2, stderr: 'mount: cannot allocate memory' } });
    expect(err.kind).toBe('Internal');
    expect(err.message).toContain(`NFS export ${EXPORT} could not be mounted on`);
  });

  it('a mount that hangs past its timeout stays DEADLINE_EXCEEDED (Timeout)', async () => {
    const { err } = await failedMount({ timeout: true });
    expect(err.kind).toBe('Timeout');
    expect(toGrpcStatus(err).code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('anything but a CommandError is left as it is', () => {
    const other = new Error('boom');
    expect(mountFailure(other, EXPORT, '/mnt/x')).toBe(other);
  });
});
