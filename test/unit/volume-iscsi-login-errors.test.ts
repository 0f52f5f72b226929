// A failed iscsiadm during an iSCSI connect in the error taxonomy
// (volume/iscsi-errors.ts iscsiFailure): portal or iscsid unreachable →
// Unavailable (retryable), refused by the target or this host →
// FailedPrecondition, anything else Internal; each names the target and the
// portal. The real iscsiadm login cannot run on this machine (no iscsi_tcp
// module, no iscsid, no target), so iscsiadm goes to a ScriptedRunner behind
// the same CommandRunner interface the real code uses: exit codes go through
// the same checkExit() as the real runner, stderr as open-iscsi 2.1 prints it.
// The exit codes are open-iscsi's (include/iscsi_err.h, iscsiadm(8)).
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { CommandError } from '../../src/agent/exec';
import { connectHost } from '../../src/agent/volume';
import { iscsiFailure } from '../../src/agent/volume/iscsi-errors';
import type { VolumeAttachment } from '../../src/agent/volume/types';
import type { AppError } from '../../src/errors';
import { toGrpcStatus } from '../../src/grpc/status';
import { IQN, LIST_SESSIONS, PORTAL, PORTAL2 } from '../helpers/iscsi-fixtures';
import { ScriptedRunner, type Expectation } from '../helpers/scripted-runner';
import { makeCtx, tempSysfs } from '../helpers/volume-ctx';


const vol = (data: Record<string, string>): VolumeAttachment =>
  ({ volume_id: 'vol-1', target_dev: 'vdb', connection_info: { driver_volume_type: 'iscsi', data } });
const single = vol({ target_portal: PORTAL, target_iqn: IQN, target_lun: '1' });
const node = (portal: string, ...rest: string[]): Expectation => ({ cmd: 'iscsiadm', args: ['-m', 'node', '-T', IQN, '-p', portal, ...rest] });
const couldNot = (portal: string, n: number, text: string): string =>
  `iscsiadm: Could not login to [iface: default, target: ${IQN}, portal: ${portal.replace(':', ',')}].\n`
  + `iscsiadm: initiator reported error (${n} - ${text})\niscsiadm: Could not log into all portals\n`;
const login = (portal: string, code: number, text: string): Expectation =>
  ({ ...node(portal, '--login'), result: { code, stderr: couldNot(portal, code, text) } });

/** Connects `v` with the runner playing `script` after an empty session list; the error it fails with. */
async function failedConnect(v: VolumeAttachment, script: Expectation[]): Promise<{ err: AppError; steps: string[][] }> {
  const runner = new ScriptedRunner().push({ cmd: LIST_SESSIONS[0], args: LIST_SESSIONS[1], result: { code: 21 } }, ...script);
  const { ctx, steps } = makeCtx({ runner, sysfsRoot: tempSysfs() });
  const err = await connectHost(v, ctx).then(() => { throw new Error('connect succeeded'); }, (e: unknown) => e as AppError);
  runner.assertDone();
  return { err, steps: steps.steps.map((s) => [s.name, s.outcome]) };
}

const where = `iSCSI target ${IQN} at portal ${PORTAL}`;

describe('iSCSI login failures, single path', () => {
  it.each([
    ['the portal does not answer (8 ISCSI_ERR_TRANS_TIMEOUT)', 8, 'connection timed out', 'the connection to the portal timed out'],
    ['connection refused / no route (4 ISCSI_ERR_TRANS)', 4, 'encountered connection failure', 'the connection to the portal failed'],
    ['the portal stops answering mid-login (11 ISCSI_ERR_PDU_TIMEOUT)', 11, 'iSCSI PDU timed out', 'the portal stopped answering (iSCSI PDU timed out)'],
    ['iscsid is not running (20 ISCSI_ERR_ISCSID_NOTCONN)', 20, 'could not connect to iscsid', 'iscsid could not be reached'],
    ['iscsid stops answering (18 ISCSI_ERR_ISCSID_COMM_ERR)', 18, 'could not communicate to iscsid', 'iscsid could not be reached'],
    ['a generic login failure (5 ISCSI_ERR_LOGIN)', 5, 'iSCSI login failed due to unknown reason', 'the login failed (the target may not be ready yet)'],
    ['busy (28 ISCSI_ERR_BUSY)', 28, 'device or resource in use', 'iscsid or the session is busy'],
  ])('%s: UNAVAILABLE (retryable), naming the target and the portal', async (_, code, text, reason) => {
    const { err, steps } = await failedConnect(single, [node(PORTAL), login(PORTAL, code, text)]);
    expect(err.kind).toBe('Unavailable');
    expect(toGrpcStatus(err).code).toBe(grpc.status.UNAVAILABLE);
    expect(err.message).toContain(`${where}: ${reason}`);
    expect(err.message).toContain('retry');
    expect(err.message).toContain(`exited with code ${code}`);
    expect(err.cause).toBeInstanceOf(CommandError);
    expect(steps).toEqual([['iscsi: list sessions', 'ok'], [`iscsi: login ${IQN} ${PORTAL}`, 'failed']]);
  });

  it.each([
    ['CHAP authentication fails (24 ISCSI_ERR_LOGIN_AUTH_FAILED)', 24, 'iSCSI login failed due to authorization failure', 'authentication failed'],
    ['no such target or LUN on the portal (19 ISCSI_ERR_FATAL_LOGIN)', 19, 'encountered non-retryable iSCSI login failure', 'the target refused the login'],
    ['the iscsi_tcp transport is not loaded (12 ISCSI_ERR_TRANS_NOT_FOUND)', 12, 'iSCSI driver not found', 'transport is not loaded'],
    ['iscsid refuses the agent (13 ISCSI_ERR_ACCESS)', 13, 'daemon access denied', 'access denied'],
  ])('%s: FAILED_PRECONDITION, naming the target and the portal', async (_, code, text, reason) => {
    const { err } = await failedConnect(single, [node(PORTAL), login(PORTAL, code, text)]);
    expect(err.kind).toBe('FailedPrecondition');
    expect(toGrpcStatus(err).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.message).toContain(`${where}: `);
    expect(err.message).toContain(reason);
  });

  it('a CHAP setting iscsiadm rejects (7 ISCSI_ERR_INVAL): FAILED_PRECONDITION, password still redacted', async () => {
    const chap = vol({ target_portal: PORTAL, target_iqn: IQN, target_lun: '1', auth_method: 'CHAP', auth_username: 'u1', auth_password: 's3cr3t-pw' });
    const { err, steps } = await failedConnect(chap, [
      node(PORTAL),
      node(PORTAL, '--op', 'update', '-n', 'node.session.auth.authmethod', '-v', 'CHAP'),
      node(PORTAL, '--op', 'update', '-n', 'node.session.auth.username', '-v', 'u1'),
      { ...node(PORTAL, '--op', 'update', '-n', 'node.session.auth.password', '-v', 's3cr3t-pw'), result: { code: 7, stderr: 'iscsiadm: invalid parameter\n' } },
    ]);
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`${where}: iscsiadm rejected a setting`);
    expect(err.message).not.toContain('s3cr3t-pw');
    expect(err.message).toContain('<redacted>');
    expect(steps.at(-1)).toEqual([`iscsi: login ${IQN} ${PORTAL}`, 'failed']);
  });

  it('iscsiadm is not installed (spawn ENOENT): FAILED_PRECONDITION at the first command, naming the target', async () => {
    const runner = new ScriptedRunner().push({ cmd: LIST_SESSIONS[0], args: LIST_SESSIONS[1],
      error: new CommandError('iscsiadm', LIST_SESSIONS[1], -1, '', { reason: 'failed to run (ENOENT)' }) });
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs() });
    const err = await connectHost(single, ctx).then(() => { throw new Error('connect succeeded'); }, (e: unknown) => e as AppError);
    runner.assertDone();
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`${where}: iscsiadm cannot run on this host`);
  });

  it('an old iscsiadm exiting 255 is judged by the error it reports ("initiator reported error (8 - ...)")', async () => {
    const { err } = await failedConnect(single, [node(PORTAL), { ...node(PORTAL, '--login'), result: { code: 255, stderr: couldNot(PORTAL, 8, 'connection timed out') } }]);
    expect(err.kind).toBe('Unavailable');
    expect(err.message).toContain(`${where}: the connection to the portal timed out`);
  });

  it('another failure (6 ISCSI_ERR_IDBM, the node database): INTERNAL, naming the target and the portal', async () => {
    const { err } = await failedConnect(single, [{ ...node(PORTAL), result: { code: 6, stderr: 'iscsiadm: Could not read node record\n' } }]);
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(new RegExp(`^iSCSI target ${IQN.replace(/[.]/g, '\\.')} at portal ${PORTAL}: iscsiadm failed: iscsiadm -m node`));
  });

  it('a login that hangs past the command timeout stays DEADLINE_EXCEEDED (Timeout)', async () => {
    const { err } = await failedConnect(single, [node(PORTAL), { ...node(PORTAL, '--login'), timeout: true }]);
    expect(err.kind).toBe('Timeout');
    expect(toGrpcStatus(err).code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('login exit 15 (ISCSI_ERR_SESS_EXISTS, a session appeared since the list): success, not an error', async () => {
    const runner = new ScriptedRunner().push(
      { cmd: LIST_SESSIONS[0], args: LIST_SESSIONS[1], result: { code: 21 } },
      node(PORTAL),
      { ...node(PORTAL, '--login'), result: { code: 15, stderr: couldNot(PORTAL, 15, 'session exists') } },
      node(PORTAL, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'),
    );
    const link = `/dev/disk/by-path/ip-${PORTAL}-iscsi-${IQN}-lun-1`;
    const { ctx } = makeCtx({ runner, sysfsRoot: tempSysfs(), devLinks: (p) => (p === link ? '/dev/sdb' : undefined) });
    expect((await connectHost(single, ctx)).devicePath).toBe(link);
    runner.assertDone();
  });

  it('anything but a CommandError is left as it is', () => {
    const other = new Error('boom');
    expect(iscsiFailure(other, IQN, PORTAL)).toBe(other);
  });
});

describe('iSCSI login failures, multipath set', () => {
  const multi = vol({ target_portals: `${PORTAL},${PORTAL2}`, target_iqn: IQN, target_lun: '1' });

  it('every portal unreachable: UNAVAILABLE (retryable), naming each portal', async () => {
    const { err, steps } = await failedConnect(multi, [
      node(PORTAL), login(PORTAL, 8, 'connection timed out'),
      node(PORTAL2), login(PORTAL2, 4, 'encountered connection failure'),
    ]);
    expect(err.kind).toBe('Unavailable');
    expect(err.message).toContain('no portal of the volume could be logged in to');
    expect(err.message).toContain(`${where}: the connection to the portal timed out`);
    expect(err.message).toContain(`iSCSI target ${IQN} at portal ${PORTAL2}: the connection to the portal failed`);
    expect(steps.slice(1)).toEqual([[`iscsi: login ${IQN} ${PORTAL}`, 'warning'], [`iscsi: login ${IQN} ${PORTAL2}`, 'warning']]);
  });

  it('one portal unreachable, the other refusing the login: FAILED_PRECONDITION (retrying alone will not help)', async () => {
    const { err } = await failedConnect(multi, [
      node(PORTAL), login(PORTAL, 8, 'connection timed out'),
      node(PORTAL2), login(PORTAL2, 24, 'iSCSI login failed due to authorization failure'),
    ]);
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`iSCSI target ${IQN} at portal ${PORTAL2}: the target refused the login: authentication failed`);
  });
});
