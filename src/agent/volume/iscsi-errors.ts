// A failed iscsiadm during an iSCSI connect, in the error taxonomy, naming the
// target and portal. iscsiadm exits with open-iscsi's own status codes
// (iscsi_err.h, iscsiadm(8) EXIT STATUS), so the code decides, not the text.
// Only when iscsiadm exits with a code outside that table (1, 255 on old
// versions) is the code it quotes in "initiator reported error (N - ...)" used.
import { FailedPrecondition, Internal, Unavailable } from '../../errors';
import { CommandError } from '../exec';

/** open-iscsi exit codes that say the portal or iscsid could not be reached, or are busy: retry later. */
const UNREACHABLE: Record<number, string> = {
  4: 'the connection to the portal failed', // ISCSI_ERR_TRANS (refused, no route, reset)
  8: 'the connection to the portal timed out', // ISCSI_ERR_TRANS_TIMEOUT
  11: 'the portal stopped answering (iSCSI PDU timed out)', // ISCSI_ERR_PDU_TIMEOUT
  18: 'iscsid could not be reached on this host', // ISCSI_ERR_ISCSID_COMM_ERR
  20: 'iscsid could not be reached on this host', // ISCSI_ERR_ISCSID_NOTCONN
  // Not "unreachable", but passing: retried later the same way (os-brick retries its logins too).
  5: 'the login failed (the target may not be ready yet)', // ISCSI_ERR_LOGIN: generic, not a refusal (that is 19 or 24)
  28: 'iscsid or the session is busy', // ISCSI_ERR_BUSY
};

/** open-iscsi exit codes that say the target or this host refuses: retrying will not help until fixed. */
const REFUSED: Record<number, string> = {
  7: 'iscsiadm rejected a setting (invalid parameter)', // ISCSI_ERR_INVAL
  12: 'the iSCSI transport is not loaded on this host', // ISCSI_ERR_TRANS_NOT_FOUND
  13: 'iscsid refused the agent (access denied)', // ISCSI_ERR_ACCESS
  19: 'the target refused the login (no such target or LUN, or not allowed)', // ISCSI_ERR_FATAL_LOGIN
  21: 'no such node record', // ISCSI_ERR_NO_OBJS_FOUND
  24: 'the target refused the login: authentication failed (check the CHAP settings)', // ISCSI_ERR_LOGIN_AUTH_FAILED
};

const REPORTED = /initiator reported error \((\d+) -/;

/** The open-iscsi status of a failed iscsiadm: its exit code, or the one it quotes when the exit code is generic. */
function iscsiStatus(err: CommandError): number {
  if (err.code in UNREACHABLE || err.code in REFUSED) return err.code;
  const quoted = REPORTED.exec(err.stderr);
  return quoted ? Number(quoted[1]) : err.code;
}

/**
 * `err` (from an iscsiadm run for target `iqn` at `portal`) in the taxonomy:
 * portal or iscsid unreachable → Unavailable (retryable); refused by the
 * target (authentication, no such target/LUN) or by this host (bad setting,
 * no transport, no iscsiadm) → FailedPrecondition; other failures → Internal.
 * Not a CommandError (a command timeout is already Timeout): unchanged.
 */
export function iscsiFailure(err: unknown, iqn: string, portal: string): unknown {
  if (!(err instanceof CommandError)) return err;
  const what = `iSCSI target ${iqn} at portal ${portal}`;
  if (err.code === -1 && /\((ENOENT|EACCES)\)/.test(err.message)) {
    return new FailedPrecondition(`${what}: iscsiadm cannot run on this host (is open-iscsi installed?): ${err.message}`, { cause: err });
  }
  const status = iscsiStatus(err);
  const unreachable = UNREACHABLE[status];
  if (unreachable !== undefined) {
    return new Unavailable(`${what}: ${unreachable} (retry when it is back): ${err.message}`, { cause: err });
  }
  const refused = REFUSED[status];
  if (refused !== undefined) return new FailedPrecondition(`${what}: ${refused}: ${err.message}`, { cause: err });
  return new Internal(`${what}: iscsiadm failed: ${err.message}`, { cause: err });
}
