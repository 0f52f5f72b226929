// Tests that spawn the daemons or the CLI run the compiled dist/. This builds
// it once per test run (vitest globalSetup) when it is missing or older than
// src/; tsc emits even when type errors elsewhere are reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MARKER = path.join(REPO_ROOT, 'dist', 'cli', 'virt-agent.js');

/** Newest mtime of the .ts files below dir. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const built = fs.existsSync(MARKER) ? fs.statSync(MARKER).mtimeMs : 0;
  if (built >= newestSource(path.join(REPO_ROOT, 'src'))) return;
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  if (!fs.existsSync(MARKER)) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
  if (r.status !== 0) console.warn(`tsc reported errors (dist was still emitted):\n${r.stdout}`);
  // tsc does not rewrite unchanged outputs; mark the build as current.
  const now = new Date();
  fs.utimesSync(MARKER, now, now);
}

/** vitest globalSetup entry. */
export default function setup(): void {
  ensureBuilt();
}
