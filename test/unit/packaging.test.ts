// What the Debian package ships besides the code: the default configuration
// files must be accepted by the daemons' own config loaders, and the systemd
// units must pass `systemd-analyze verify` and keep their hardening
// (`systemd-analyze security --offline`, systemd 252 on Debian 12). The
// package itself is built, installed and purged by scripts/package-check.sh.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../src/agent/config';
import { resolveControllerConfig } from '../../src/controller/config';

const ROOT = path.resolve(__dirname, '..', '..');
const UNITS = path.join(ROOT, 'systemd');
const readJson = (p: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, p), 'utf8'));

/**
 * Overall exposure ceilings. Lower them when a unit gets tighter; raising one
 * needs a reason in the README ("Running it under systemd"), as each remaining
 * exposure has. Before this check: agent 6.6, controller 1.8.
 */
const MAX_EXPOSURE = { 'virt-agent.service': 4.4, 'virt-controller.service': 1.3 } as const;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));
if (!analyze) console.warn('packaging.test: systemd-analyze not found (Debian package "systemd"): unit checks skipped');

describe('default configuration files (/etc/virt-agent)', () => {
  it('agent.json is accepted by the agent and keeps the socket and state the unit provides', () => {
    const c = resolveConfig({ flags: {}, env: {}, file: readJson('packaging/etc/agent.json') });
    expect(c.listen).toBe('unix:///run/virt-agent/agent.sock'); // RuntimeDirectory=virt-agent
    expect(c.stateDir).toBe('/var/lib/virt-agent'); // StateDirectory=virt-agent
    expect(c.nfsMountBase.startsWith(`${c.stateDir}/`)).toBe(true);
  });

  it('controller.json is accepted by the controller and points into its runtime and state directories', () => {
    const c = resolveControllerConfig({ flags: {}, env: {}, file: readJson('packaging/etc/controller.json') });
    expect(c.listen).toBe('unix:///run/virt-controller/controller.sock'); // RuntimeDirectory=virt-controller
    expect(c.db).toBe('/var/lib/virt-controller/controller.db'); // StateDirectory=virt-controller
    expect(c.hosts.size).toBe(0);
  });

  it('the units read exactly these files', () => {
    expect(fs.readFileSync(path.join(UNITS, 'virt-agent.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/virt-agent --config \/etc\/virt-agent\/agent\.json$/m);
    expect(fs.readFileSync(path.join(UNITS, 'virt-controller.service'), 'utf8'))
      .toMatch(/^ExecStart=\/usr\/bin\/virt-controller --config \/etc\/virt-agent\/controller\.json$/m);
  });

  it('both units are Type=notify with a watchdog (the daemons send READY=1 and WATCHDOG=1: test/integration/systemd-notify.test.ts)', () => {
    for (const unit of ['virt-agent.service', 'virt-controller.service']) {
      const text = fs.readFileSync(path.join(UNITS, unit), 'utf8');
      expect(text).toMatch(/^Type=notify$/m);
      expect(text).toMatch(/^NotifyAccess=main$/m);
      expect(text).toMatch(/^WatchdogSec=\d+s$/m);
    }
  });
});

describe.skipIf(!analyze)('systemd units', () => {
  // verify checks that ExecStart's program exists: point it at a stand-in
  // (the installed units are verified as they are by scripts/package-check.sh).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-units-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const stub = path.join(tmp, 'daemon');
  fs.writeFileSync(stub, '#!/bin/sh\n', { mode: 0o755 });
  const copy = (unit: string): string => {
    const text = fs.readFileSync(path.join(UNITS, unit), 'utf8').replace(/^ExecStart=\/usr\/bin\/\S+/m, `ExecStart=${stub}`);
    const p = path.join(tmp, unit);
    fs.writeFileSync(p, text);
    return p;
  };

  for (const unit of Object.keys(MAX_EXPOSURE) as Array<keyof typeof MAX_EXPOSURE>) {
    it(`${unit} passes systemd-analyze verify`, async () => {
      const r = await run(analyze!, ['verify', '--man=no', copy(unit)]);
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    });

    it(`${unit} keeps its exposure at or below ${MAX_EXPOSURE[unit]}`, async () => {
      const r = await run(analyze!, ['security', '--offline=true', path.join(UNITS, unit)]);
      const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.out);
      expect(m, r.out).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(MAX_EXPOSURE[unit]);
    });
  }

  it('verify does catch a broken unit (the check can fail)', async () => {
    const p = path.join(tmp, 'broken.service');
    fs.writeFileSync(p, '[Service]\nExecStart=/nonexistent/virt-agent\nKillMode=sideways\n');
    const r = await run(analyze!, ['verify', '--man=no', p]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/not executable|KillMode/);
  });
});
