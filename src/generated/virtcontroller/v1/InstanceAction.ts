// Original file: proto/virtcontroller/v1/controller.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

/**
 * One entry of an instance's action log.
 */
export interface InstanceAction {
  /**
   * The instance.
   */
  'instance_uuid'?: (string);
  /**
   * What was done: create, soft_delete, delete, force_delete, reclaim, restore, stop, start,
   * attach_volume, detach_volume, pending_power_off, host_cleanup,
   * reset_volume_state, force_detach_volume.
   */
  'action'?: (string);
  /**
   * The request id of the call (x-request-id, generated when absent) or the periodic task's.
   */
  'request_id'?: (string);
  /**
   * Who asked: the client certificate's subject (mutual TLS), x-user on a
   * plaintext loopback port, "unix-socket", or "virt-controller/<task>" for
   * the periodic tasks.
   */
  'user'?: (string);
  /**
   * When the action began.
   */
  'started_at'?: (_google_protobuf_Timestamp | null);
  /**
   * When it ended; unset while running.
   */
  'finished_at'?: (_google_protobuf_Timestamp | null);
  /**
   * "success", "error", or empty while running.
   */
  'result'?: (string);
  /**
   * What happened, e.g. the agent's error, or warnings; may be empty.
   */
  'message'?: (string);
  /**
   * The request id of this action's agent calls (uuid:action:attempt; retries
   * reuse it so the agent dedupes them); empty for actions without agent calls.
   */
  'agent_request_id'?: (string);
}

/**
 * One entry of an instance's action log.
 */
export interface InstanceAction__Output {
  /**
   * The instance.
   */
  'instance_uuid': (string);
  /**
   * What was done: create, soft_delete, delete, force_delete, reclaim, restore, stop, start,
   * attach_volume, detach_volume, pending_power_off, host_cleanup,
   * reset_volume_state, force_detach_volume.
   */
  'action': (string);
  /**
   * The request id of the call (x-request-id, generated when absent) or the periodic task's.
   */
  'request_id': (string);
  /**
   * Who asked: the client certificate's subject (mutual TLS), x-user on a
   * plaintext loopback port, "unix-socket", or "virt-controller/<task>" for
   * the periodic tasks.
   */
  'user': (string);
  /**
   * When the action began.
   */
  'started_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * When it ended; unset while running.
   */
  'finished_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * "success", "error", or empty while running.
   */
  'result': (string);
  /**
   * What happened, e.g. the agent's error, or warnings; may be empty.
   */
  'message': (string);
  /**
   * The request id of this action's agent calls (uuid:action:attempt; retries
   * reuse it so the agent dedupes them); empty for actions without agent calls.
   */
  'agent_request_id': (string);
}
