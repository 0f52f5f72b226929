// Canonical paths (symlinks resolved) for confinement and ownership checks,
// one path at a time or many at once, through storage-io (deadline, slots).
import path from 'node:path';

import { isMissing, mountOf, realpath, realpathMany, type StorageCallOptions } from './storage-io';

/**
 * The canonical form of a path, for confinement checks: symlinks resolved.
 * For a path that does not exist, its parent's canonical form plus the name
 * (a missing file below a symlinked directory resolves to where it would
 * really be); when the parent is missing too, the lexical form. Anything else
 * — a stall above all — throws: a path we cannot resolve is never assumed to
 * be where it looks.
 */
export async function canonicalPath(p: string, opts: StorageCallOptions = {}): Promise<string> {
  try {
    return await realpath(p, opts);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  try {
    return path.join(await realpath(path.dirname(p), opts), path.basename(p));
  } catch (err) {
    if (!isMissing(err)) throw err;
    return path.resolve(p);
  }
}

/** Paths per native job: a batch's deadline covers this many realpaths at most. */
const BATCH = 256;

/**
 * canonicalPath of every path, in order, with the same answers and failures,
 * in one or two native jobs per mount point (and per 256 paths) instead of
 * one or two per path: what an ownership scan of a host's every disk needs.
 * A dead mount fails the scan once, at its deadline.
 */
export async function canonicalPaths(paths: readonly string[], opts: StorageCallOptions = {}): Promise<string[]> {
  const out = new Array<string>(paths.length);
  const byMount = new Map<string, number[]>();
  for (const [i, p] of paths.entries()) {
    const key = opts.key ?? (await mountOf(p));
    const list = byMount.get(key);
    if (list) list.push(i);
    else byMount.set(key, [i]);
  }
  const jobs: Array<Promise<void>> = [];
  for (const [key, indexes] of byMount) {
    for (let at = 0; at < indexes.length; at += BATCH) jobs.push(resolveBatch(paths, indexes.slice(at, at + BATCH), out, { ...opts, key }));
  }
  await Promise.all(jobs);
  return out;
}

async function resolveBatch(paths: readonly string[], indexes: number[], out: string[], opts: StorageCallOptions & { key: string }): Promise<void> {
  const first = await realpathMany(indexes.map((i) => paths[i]!), opts);
  const missing: number[] = [];
  first.forEach((r, j) => {
    const i = indexes[j]!;
    if (typeof r === 'string') out[i] = r;
    else if (isMissing(r)) missing.push(i);
    else throw r;
  });
  if (missing.length === 0) return;
  // Missing: the parent's canonical form plus the name, else the lexical form.
  const parents = await realpathMany(missing.map((i) => path.dirname(paths[i]!)), opts);
  parents.forEach((r, j) => {
    const i = missing[j]!;
    if (typeof r === 'string') out[i] = path.join(r, path.basename(paths[i]!));
    else if (isMissing(r)) out[i] = path.resolve(paths[i]!);
    else throw r;
  });
}
