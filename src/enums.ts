// Names of numeric enum values (libvirt's constants, gRPC status codes) for
// messages and metric labels.

/**
 * The name of a numeric enum's value; undefined for a value the enum does not
 * name (a newer libvirt's, or garbage).
 */
export function nameOf(e: object, value: number): string | undefined {
  const name: unknown = (e as Record<number, unknown>)[value];
  return typeof name === 'string' ? name : undefined;
}
