// Original file: proto/virtagent/v1/agent.proto

/**
 * How a clean shutdown is asked for.
 */
export const ShutdownMethod = {
  /**
   * Not a method; never valid in a request.
   */
  SHUTDOWN_METHOD_UNSPECIFIED: 'SHUTDOWN_METHOD_UNSPECIFIED',
  /**
   * ACPI power button.
   */
  SHUTDOWN_METHOD_ACPI: 'SHUTDOWN_METHOD_ACPI',
  /**
   * qemu-guest-agent, only used when the domain has an agent channel.
   */
  SHUTDOWN_METHOD_GUEST_AGENT: 'SHUTDOWN_METHOD_GUEST_AGENT',
} as const;

/**
 * How a clean shutdown is asked for.
 */
export type ShutdownMethod =
  /**
   * Not a method; never valid in a request.
   */
  | 'SHUTDOWN_METHOD_UNSPECIFIED'
  | 0
  /**
   * ACPI power button.
   */
  | 'SHUTDOWN_METHOD_ACPI'
  | 1
  /**
   * qemu-guest-agent, only used when the domain has an agent channel.
   */
  | 'SHUTDOWN_METHOD_GUEST_AGENT'
  | 2

/**
 * How a clean shutdown is asked for.
 */
export type ShutdownMethod__Output = typeof ShutdownMethod[keyof typeof ShutdownMethod]
