// Copies of transient domains' XML, kept under --state-dir so HardReboot can
// start a transient domain again after it was destroyed (libvirt forgets it).
import fs from 'node:fs/promises';
import path from 'node:path';

import { InvalidArgument } from '../errors';
import { isCanonicalUuid } from '../ids';

export class DomainStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'domains');
  }

  private file(uuid: string): string {
    // The uuid comes from libvirt, but checking it keeps the path confined.
    if (!isCanonicalUuid(uuid)) throw new InvalidArgument('domain.uuid', `not a UUID: ${uuid}`);
    return path.join(this.dir, `${uuid}.xml`);
  }

  /** Atomic write (temp file, fsync, rename), readable by root only. */
  async save(uuid: string, xml: string): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(uuid);
    const tmp = `${target}.${process.pid}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(xml);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, target);
  }

  async load(uuid: string): Promise<string | null> {
    try {
      return await fs.readFile(this.file(uuid), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Removes the stored copy; none stored is fine (one unlink, no stat first). */
  async remove(uuid: string): Promise<void> {
    try {
      await fs.unlink(this.file(uuid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
