// Original file: proto/virtcontroller/v1/controller.proto

import type { QuotaLimits as _virtcontroller_v1_QuotaLimits, QuotaLimits__Output as _virtcontroller_v1_QuotaLimits__Output } from '../../virtcontroller/v1/QuotaLimits';
import type { QuotaCounts as _virtcontroller_v1_QuotaCounts, QuotaCounts__Output as _virtcontroller_v1_QuotaCounts__Output } from '../../virtcontroller/v1/QuotaCounts';

/**
 * A project's quota and its use.
 */
export interface QuotaUsage {
  /**
   * The project.
   */
  'project_id'?: (string);
  /**
   * Its limits (the defaults, or its own).
   */
  'limits'?: (_virtcontroller_v1_QuotaLimits | null);
  /**
   * What instances of the project hold now (active, stopped, being created or
   * restored; not soft-deleted or deleted).
   */
  'in_use'?: (_virtcontroller_v1_QuotaCounts | null);
}

/**
 * A project's quota and its use.
 */
export interface QuotaUsage__Output {
  /**
   * The project.
   */
  'project_id': (string);
  /**
   * Its limits (the defaults, or its own).
   */
  'limits': (_virtcontroller_v1_QuotaLimits__Output | null);
  /**
   * What instances of the project hold now (active, stopped, being created or
   * restored; not soft-deleted or deleted).
   */
  'in_use': (_virtcontroller_v1_QuotaCounts__Output | null);
}
