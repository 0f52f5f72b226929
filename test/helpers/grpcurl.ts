// Where the real grpcurl is: ../shared/tools/grpcurl next to the project (what
// CI and every developer machine have; see that directory's README), else
// grpcurl on PATH. Tests that need it skip, saying so, when neither exists.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function locate(): string | undefined {
  const shared = path.resolve(__dirname, '..', '..', '..', 'shared', 'tools', 'grpcurl');
  for (const candidate of [process.env['GRPCURL'], shared, 'grpcurl']) {
    if (!candidate) continue;
    if (candidate.includes('/') && !fs.existsSync(candidate)) continue;
    if (spawnSync(candidate, ['-version']).status === 0) return candidate;
  }
  return undefined;
}

/** Path of a working grpcurl, or undefined. */
export const GRPCURL = locate();

/** Why a grpcurl test is skipped (for describe.skipIf titles). */
export const GRPCURL_MISSING = 'grpcurl not found (../shared/tools/grpcurl, $GRPCURL or PATH)';
