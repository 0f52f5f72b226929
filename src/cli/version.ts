// The package version (package.json at the install root, two levels above
// dist/cli and src/cli), for --version of the CLIs that need not load the agent.
import fs from 'node:fs';
import path from 'node:path';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
