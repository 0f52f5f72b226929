// The hosts table (migration 4): agents that registered, hosts configured
// with --agent, their last heartbeat and whether they are disabled. Like
// store.ts, SQL for both engines; the upserts use INSERT ... ON CONFLICT,
// which SQLite and PostgreSQL both speak.
import type { SqlEngine } from './sql';
import type { Clock } from './types';

export interface HostRow {
  name: string;
  address: string;
  static: number;
  libvirt_uri: string;
  libvirt_version: string;
  agent_version: string;
  vcpus: number;
  memory_mib: number;
  registered_at: number;
  last_heartbeat_at: number | null;
  disabled: number;
  disabled_reason: string | null;
  updated_at: number;
}

export interface Registration {
  name: string;
  address: string;
  libvirt_uri: string;
  libvirt_version: string;
  agent_version: string;
  vcpus: number;
  memory_mib: number;
}

export class HostStore {
  constructor(
    private readonly engine: SqlEngine,
    private readonly clock: Clock,
  ) {}

  all(): Promise<HostRow[]> {
    return this.engine.all<HostRow>('SELECT * FROM hosts ORDER BY name');
  }

  get(name: string): Promise<HostRow | undefined> {
    return this.engine.get<HostRow>('SELECT * FROM hosts WHERE name = ?', [name]);
  }

  /** A host from --agent: recorded (static) with its configured address; its disabled flag and heartbeat are kept. */
  async upsertStatic(name: string, address: string): Promise<void> {
    const now = this.clock.now();
    await this.engine.run(
      `INSERT INTO hosts (name, address, static, registered_at, updated_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (name) DO UPDATE SET address = excluded.address, static = 1, updated_at = excluded.updated_at`,
      [name, address, now, now],
    );
  }

  /**
   * An agent's registration: the host's record created or updated (`isStatic`:
   * the host is also configured with --agent); a registration is also a heartbeat.
   */
  async register(r: Registration, isStatic: boolean): Promise<void> {
    const now = this.clock.now();
    await this.engine.run(
      `INSERT INTO hosts (name, address, static, libvirt_uri, libvirt_version, agent_version, vcpus, memory_mib, registered_at, last_heartbeat_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET address = excluded.address, static = excluded.static, libvirt_uri = excluded.libvirt_uri,
         libvirt_version = excluded.libvirt_version, agent_version = excluded.agent_version, vcpus = excluded.vcpus,
         memory_mib = excluded.memory_mib, registered_at = excluded.registered_at, last_heartbeat_at = excluded.last_heartbeat_at,
         updated_at = excluded.updated_at`,
      [r.name, r.address, isStatic ? 1 : 0, r.libvirt_uri, r.libvirt_version, r.agent_version, r.vcpus, r.memory_mib, now, now, now],
    );
  }

  /** Records a heartbeat at `at`; false when the host is not registered. A late heartbeat never moves it back. */
  async heartbeat(name: string, at = this.clock.now()): Promise<boolean> {
    const n = await this.engine.run(
      `UPDATE hosts SET last_heartbeat_at = CASE WHEN last_heartbeat_at IS NULL OR last_heartbeat_at < ? THEN ? ELSE last_heartbeat_at END
        WHERE name = ?`,
      [at, at, name],
    );
    return n === 1;
  }

  /** Returns false when the host is unknown. */
  async setDisabled(name: string, disabled: boolean, reason: string | null): Promise<boolean> {
    return (await this.engine.run('UPDATE hosts SET disabled = ?, disabled_reason = ?, updated_at = ? WHERE name = ?',
      [disabled ? 1 : 0, disabled ? reason : null, this.clock.now(), name])) === 1;
  }

  async isDisabled(name: string): Promise<{ disabled: boolean; reason: string | null }> {
    const r = await this.engine.get<{ disabled: number; disabled_reason: string | null }>('SELECT disabled, disabled_reason FROM hosts WHERE name = ?', [name]);
    return { disabled: r?.disabled === 1, reason: r?.disabled_reason ?? null };
  }
}
