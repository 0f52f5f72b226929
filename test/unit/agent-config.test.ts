// Agent settings for the limits of issue 13: flags / environment / file, with
// range checks naming the setting; the packaged config file loads.
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { defaultConfig, resolveConfig } from '../../src/agent/config';

const REPO = path.resolve(__dirname, '..', '..');

describe('agent config: limits', () => {
  it('defaults', () => {
    const c = defaultConfig();
    expect(c).toMatchObject({
      libvirtThreads: 8, journalMaxBytes: 64 * 1024 * 1024, requestCacheSize: 100_000, requestRetentionSeconds: 86_400,
      storageIo: { timeoutMs: 10_000, removeTimeoutMs: 60_000, maxThreads: 32, perMount: 4 },
      watchdog: { intervalMs: 5000, timeoutMs: 10_000 },
      watchEvents: { maxBuffered: 1000, maxStreams: 1000, graceMs: 10_000 },
      connections: { max: 1000, handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000 },
    });
  });

  it('flags and VIRT_AGENT_* variables set them; out-of-range values name the setting', () => {
    const c = resolveConfig({
      flags: { libvirtThreads: '16', maxConnections: '50', handshakeTimeoutSeconds: '3' },
      env: { VIRT_AGENT_JOURNAL_MAX_BYTES: '2097152', VIRT_AGENT_IDLE_TIMEOUT_SECONDS: '60', VIRT_AGENT_REQUEST_RETENTION_SECONDS: '3600' },
    });
    expect(c).toMatchObject({ libvirtThreads: 16, journalMaxBytes: 2097152, requestRetentionSeconds: 3600 });
    expect(c.connections).toEqual({ max: 50, handshakeTimeoutMs: 3000, idleTimeoutMs: 60_000 });
    expect(() => resolveConfig({ flags: { libvirtThreads: '0' }, env: {} })).toThrow('libvirtThreads must be 1-1024, got 0');
    expect(() => resolveConfig({ flags: { journalMaxBytes: '1000' }, env: {} })).toThrow(/^journalMaxBytes must be 1048576-/);
    expect(() => resolveConfig({ flags: { maxConnections: 'lots' }, env: {} })).toThrow(/maxConnections must be a non-negative integer/);
  });

  it('the packaged config file loads with its nested groups', () => {
    const file = JSON.parse(fs.readFileSync(path.join(REPO, 'packaging', 'etc', 'agent.json'), 'utf8')) as unknown;
    const c = resolveConfig({ flags: {}, env: {}, file });
    expect(c.storageIo.perMount).toBe(4);
    expect(c.connections.max).toBe(1000);
    expect(c.watchEvents.maxBuffered).toBe(1000);
  });
});
