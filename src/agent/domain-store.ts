// Copies of transient domains' XML, kept under --state-dir so HardReboot can
// start a transient domain again after it was destroyed (libvirt forgets it).
import fs from 'node:fs/promises';
import path from 'node:path';

import { InvalidArgument } from '../errors';
import { isCanonicalUuid } from '../ids';

const STORED_FILE = /^(.+)\.xml$/;

export class DomainStore {
  private readonly dir: string;
  /**
   * The uuids with a stored copy: the directory listing, read at first use
   * (so after a restart it is what is on disk), then kept by save() and
   * remove() (nothing else writes the directory). Lets remove() skip the
   * unlink for the persistent domains, which never had a copy: every Destroy
   * calls it.
   */
  private index: Promise<Set<string>> | null = null;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'domains');
  }

  private file(uuid: string): string {
    // The uuid comes from libvirt, but checking it keeps the path confined.
    if (!isCanonicalUuid(uuid)) throw new InvalidArgument('domain.uuid', `not a UUID: ${uuid}`);
    return path.join(this.dir, `${uuid}.xml`);
  }

  /** The index; null when the directory cannot be listed (then every remove() unlinks, as without one). */
  private async stored(): Promise<Set<string> | null> {
    this.index ??= this.list();
    try {
      return await this.index;
    } catch {
      this.index = null; // listed again next time
      return null;
    }
  }

  private async list(): Promise<Set<string>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw err;
    }
    const uuids = names.map((n) => STORED_FILE.exec(n)?.[1]).filter((u): u is string => u !== undefined && isCanonicalUuid(u));
    return new Set(uuids);
  }

  /** Atomic write (temp file, fsync, rename), readable by root only. */
  async save(uuid: string, xml: string): Promise<void> {
    const target = this.file(uuid);
    const stored = await this.stored();
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(xml);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, target);
    stored?.add(uuid);
  }

  async load(uuid: string): Promise<string | null> {
    try {
      return await fs.readFile(this.file(uuid), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Removes the stored copy; none stored is fine (no unlink when the index has none). */
  async remove(uuid: string): Promise<void> {
    const file = this.file(uuid);
    const stored = await this.stored();
    if (stored && !stored.has(uuid)) return;
    try {
      await fs.unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    stored?.delete(uuid);
  }
}
