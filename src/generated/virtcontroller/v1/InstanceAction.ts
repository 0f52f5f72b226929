// Original file: proto/virtcontroller/v1/controller.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface InstanceAction {
  'instance_uuid'?: (string);
  /**
   * create, soft_delete, delete, force_delete, reclaim, restore, stop, start,
   * attach_volume, detach_volume, pending_power_off, host_cleanup,
   * reset_volume_state, force_detach_volume
   */
  'action'?: (string);
  'request_id'?: (string);
  /**
   * Who asked: the client certificate's subject (mutual TLS), x-user on a
   * plaintext loopback port, "unix-socket", or "virt-controller/<task>" for
   * the periodic tasks.
   */
  'user'?: (string);
  'started_at'?: (_google_protobuf_Timestamp | null);
  /**
   * Unset while running.
   */
  'finished_at'?: (_google_protobuf_Timestamp | null);
  /**
   * "success", "error", or empty while running.
   */
  'result'?: (string);
  'message'?: (string);
  /**
   * The request id of this action's agent calls (uuid:action:attempt; retries
   * reuse it so the agent dedupes them); empty for actions without agent calls.
   */
  'agent_request_id'?: (string);
}

export interface InstanceAction__Output {
  'instance_uuid': (string);
  /**
   * create, soft_delete, delete, force_delete, reclaim, restore, stop, start,
   * attach_volume, detach_volume, pending_power_off, host_cleanup,
   * reset_volume_state, force_detach_volume
   */
  'action': (string);
  'request_id': (string);
  /**
   * Who asked: the client certificate's subject (mutual TLS), x-user on a
   * plaintext loopback port, "unix-socket", or "virt-controller/<task>" for
   * the periodic tasks.
   */
  'user': (string);
  'started_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Unset while running.
   */
  'finished_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * "success", "error", or empty while running.
   */
  'result': (string);
  'message': (string);
  /**
   * The request id of this action's agent calls (uuid:action:attempt; retries
   * reuse it so the agent dedupes them); empty for actions without agent calls.
   */
  'agent_request_id': (string);
}
