// Parsing of setting values both daemons share (flags, environment, config file).

/** "powerOffTimeoutSeconds" → "power-off-timeout-seconds" (the flag name). */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** ("VIRT_AGENT", "tlsCert") → "VIRT_AGENT_TLS_CERT" */
export function envVarName(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function parseBool(key: string, v: string): boolean {
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new Error(`${key} must be true or false, got ${JSON.stringify(v)}`);
}

/** A comma-separated list, entries trimmed, empty ones dropped. */
export function parseList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
