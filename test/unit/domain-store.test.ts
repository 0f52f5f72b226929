// DomainStore: the transient domains' stored XML, and the index of what is
// stored that spares Destroy an unlink for every persistent domain. The index
// is rebuilt from the directory when a store starts (an agent restart).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { DomainStore } from '../../src/agent/domain-store';

const A = 'bbbbbbbb-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

const roots: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function stateDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-store-'));
  roots.push(d);
  return d;
}

describe('DomainStore', () => {
  it('save, load, remove; removing what was never stored is fine', async () => {
    const store = new DomainStore(stateDir());
    expect(await store.load(A)).toBeNull();
    await store.remove(A);
    await store.save(A, '<domain/>');
    expect(await store.load(A)).toBe('<domain/>');
    await store.remove(A);
    expect(await store.load(A)).toBeNull();
    await store.remove(A);
  });

  it('remove() of a uuid never stored makes no unlink (Destroy of a persistent domain)', async () => {
    const dir = stateDir();
    const store = new DomainStore(dir);
    await store.save(B, '<domain/>');
    const unlink = vi.spyOn(fsp, 'unlink');
    await store.remove(A);
    await store.remove(A);
    expect(unlink).not.toHaveBeenCalled();
    await store.remove(B);
    expect(unlink).toHaveBeenCalledTimes(1);
    expect(fs.existsSync(path.join(dir, 'domains', `${B}.xml`))).toBe(false);
  });

  it('after a restart the index is what is on disk: a copy stored by the last run is loaded and removed', async () => {
    const dir = stateDir();
    const before = new DomainStore(dir);
    await before.save(A, '<domain>a</domain>');
    await before.save(B, '<domain>b</domain>');
    await before.remove(B);
    // Left by an interrupted save: not a stored copy.
    fs.writeFileSync(path.join(dir, 'domains', `${B}.xml.123.tmp`), 'partial');

    const after = new DomainStore(dir);
    const unlink = vi.spyOn(fsp, 'unlink');
    await after.remove(B);
    expect(unlink).not.toHaveBeenCalled();
    expect(await after.load(A)).toBe('<domain>a</domain>');
    await after.remove(A);
    expect(unlink).toHaveBeenCalledTimes(1);
    expect(fs.existsSync(path.join(dir, 'domains', `${A}.xml`))).toBe(false);
    expect(await new DomainStore(dir).load(A)).toBeNull();
  });

  it('a directory that cannot be listed: remove() still removes (unlinks without the index)', async () => {
    const dir = stateDir();
    await new DomainStore(dir).save(A, '<domain/>');
    const store = new DomainStore(dir);
    const readdir = vi.spyOn(fsp, 'readdir').mockRejectedValueOnce(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await store.remove(A);
    expect(readdir).toHaveBeenCalled();
    expect(fs.existsSync(path.join(dir, 'domains', `${A}.xml`))).toBe(false);
  });

  it('a uuid that is not canonical is refused (the path stays confined)', async () => {
    const store = new DomainStore(stateDir());
    await expect(store.remove('../x')).rejects.toMatchObject({ kind: 'InvalidArgument', field: 'domain.uuid' });
    await expect(store.save('../x', '')).rejects.toMatchObject({ kind: 'InvalidArgument', field: 'domain.uuid' });
  });
});
