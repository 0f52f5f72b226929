// One controller per SQLite database. Alone on its file, a controller's
// restart recovery takes every row in a task as its own; a second controller
// process on the same file would "recover" the first one's running tasks (a
// restore undone, a delete marked failed). So the file is locked while a
// controller has it open (<db>.lock, flock): a second one — in the same
// process or as a daemon — is refused before it touches the database, the
// first keeps working, and once it stops the file can be used again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { startController } from '../../src/controller/controller';
import { silentLogger } from '../../src/logging';
import { REPO_ROOT } from '../helpers/agent-client';
import { testEngine } from '../helpers/pg';
import { startTestController, type TestController } from './controller-helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'virt-controller.js');
const controllers: TestController[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

const refusal = (db: string, pid: number) => `database ${db} is in use by another virt-controller (pid ${pid}); `
  + 'refusing to start a second controller on it (several replicas need PostgreSQL: --db postgres://...)';

describe.skipIf(testEngine() === 'postgres')('one controller per SQLite database', () => {
  it('a second controller in the same process is refused, the first keeps serving; after it stops the file is free', async () => {
    const first = await startTestController({});
    controllers.push(first);
    const db = first.config.db;
    expect(fs.readFileSync(`${db}.lock`, 'utf8').trim()).toBe(String(process.pid));
    const config = { ...first.config, listen: '127.0.0.1:0' };
    await expect(startController(config, silentLogger(), { manualPeriodic: true })).rejects.toThrow(refusal(db, process.pid));
    expect(await first.client.call('ListInstances', {})).toMatchObject({ instances: [] });

    await first.handle.stop(0);
    const again = await startController(config, silentLogger(), { manualPeriodic: true });
    await again.stop(0);
  });

  it('a virt-controller daemon on a running controller\'s database exits 1 with the reason', async () => {
    const first = await startTestController({});
    controllers.push(first);
    const db = first.config.db;
    const child = spawn(process.execPath, [CLI, '--listen', '127.0.0.1:0', '--plaintext-loopback', 'true', '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(refusal(db, process.pid));
  });
});
