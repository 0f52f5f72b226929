// How processes using the libvirt addon behave: nothing printed to stderr on
// failing calls, exit with and without events, worker threads, GC (split from
// libvirt-binding.test.ts). Plain JS child scripts against the test driver.
import { afterAll, describe, expect, it } from 'vitest';

import { removeScripts, runScript, spawnScript, TS_REQUIRE_PRELUDE, writeScript } from '../helpers/libvirt';

afterAll(() => removeScripts());

describe('child processes', () => {
  it('libvirt and libxml2 print nothing to stderr on failing calls', async () => {
    const file = writeScript('quiet.js', `
const a = require(process.env.VIRT_ADDON);
const codes = [];
const fail = async (p) => { try { await p; codes.push('ok'); } catch (e) { codes.push(e.code); } };
(async () => {
  const c = await a.open(process.env.VIRT_URI);
  await fail(c.lookupByName('nope'));
  await fail(c.lookupByUUIDString('garbage'));
  await fail(c.defineXML('<domain>'));
  await fail(c.createXML('<domain type="test"><name>web-1</name><memory>1024</memory><os><type>hvm</type></os></domain>'));
  const db = await c.lookupByName('db-1');
  await fail(db.destroyFlags(0));
  await fail(db.undefineFlags(4));
  await fail(db.detachDeviceFlags('<disk/>', 0));
  await fail(db.getXMLDesc(1 << 20));
  await fail(db.suspend());
  await fail(c.setKeepAlive(5, 3));
  await fail(a.open('test:///nonexistent/virt-agent-node.xml'));
  await fail(a.open('::not a uri::'));
  await c.close();
  await fail(c.close());
  await fail(c.lookupByName('db-1'));
  console.log('codes=' + codes.join(','));
})();
`);
    const r = await runScript(file, { timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('codes=42,8,35,9,55,8,3,8,1,3,27,1,6,6');
  });

  const LIFECYCLE_SCRIPT = `
const a = require(process.env.VIRT_ADDON);
(async () => {
  const c = await a.open(process.env.VIRT_URI);
  let events = 0;
  if (process.env.EVENTS === '1') {
    c.setEventHandler(() => { events++; });
    await c.registerDomainEvent(0);
    await c.registerDomainEvent(15);
    await c.registerCloseCallback();
  }
  const web = await c.lookupByName('web-1');
  await web.getState();
  await web.destroyFlags(0);
  await web.createWithFlags(0);
  await Promise.all([web.getXMLDesc(0), c.listAllDomains(0), c.getHostname()]);
  const mode = process.env.MODE;
  if (mode === 'close') await c.close();
  console.log('ready');
  if (mode === 'exit') process.exit(3);
  if (mode === 'throw') throw new Error('boom');
})();
`;

  it('opens, registers events, works, closes: exits by itself with code 0', async () => {
    const file = writeScript('close.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'close' } });
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
    expect(r.stdout).toContain('ready');
  });

  it('with registered events and no close: stays alive (the handler keeps it running)', async () => {
    const file = writeScript('hang.js', LIFECYCLE_SCRIPT);
    const s = spawnScript(file, { env: { EVENTS: '1', MODE: 'open' } });
    try {
      await s.waitForOutput('ready', 10_000);
      expect(await s.exitWithin(1000)).toBeUndefined();
    } finally {
      const r = await s.kill();
      expect(r.signal).toBe('SIGKILL');
      expect(r.stderr).toBe('');
    }
  });

  it('without events and no close: exits by itself with code 0 (nothing keeps it alive)', async () => {
    const file = writeScript('noevents.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '0', MODE: 'open' } });
    expect(r).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
  });

  it('process.exit() with an open connection and events keeps its exit code (no abort)', async () => {
    const file = writeScript('exit.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'exit' } });
    expect(r).toMatchObject({ code: 3, signal: null, stderr: '' });
  });

  it('an uncaught exception exits with code 1, not an abort', async () => {
    const file = writeScript('throw.js', LIFECYCLE_SCRIPT);
    const r = await runScript(file, { timeoutMs: 10_000, env: { EVENTS: '1', MODE: 'throw' } });
    expect(r.code).toBe(1);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('boom');
    expect(r.stderr).not.toContain('terminate called');
  });

  it('worker threads: each has its own addon instance; terminating one with open events is clean', async () => {
    const file = writeScript('workers.js', `
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');
const a = require(process.env.VIRT_ADDON);
if (isMainThread) {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    const run = (mode) => new Promise((resolve) => {
      const w = new Worker(__filename, { workerData: mode });
      w.on('message', () => { if (mode === 'hang') w.terminate(); });
      w.on('error', (e) => { console.log('worker error ' + e.message); });
      w.on('exit', resolve);
    });
    const codes = await Promise.all([run('close'), run('hang'), run('close'), run('hang')]);
    const web = await c.lookupByName('web-1');
    await web.getState();
    await c.close();
    console.log('codes=' + codes.join(','));
  })();
} else {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    await c.registerCloseCallback();
    const web = await c.lookupByName('web-1');
    await web.destroyFlags(0);
    if (workerData === 'close') await c.close();
    parentPort.postMessage('ready');
  })();
}
`);
    const r = await runScript(file, { timeoutMs: 15_000 });
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.stdout.trim()).toBe('codes=0,1,0,1');
  });

  it('worker threads terminated with calls and events in flight: no abort', async () => {
    // Before the fix ~every run aborted: "terminate called after throwing an
    // instance of 'Napi::Error'" from AsyncWorker / ThreadSafeFunction completions.
    const file = writeScript('inflight.js', `
const { Worker, isMainThread, parentPort } = require('worker_threads');
const a = require(process.env.VIRT_ADDON);
if (isMainThread) {
  (async () => {
    let n = 0;
    const run = () => new Promise((resolve) => {
      const w = new Worker(__filename);
      w.on('message', () => setTimeout(() => w.terminate(), (n++ % 10) * 2));
      w.on('error', (e) => { console.log('worker error ' + e.message); });
      w.on('exit', resolve);
    });
    const codes = [];
    for (let i = 0; i < 8; i++) codes.push(...await Promise.all([run(), run(), run()]));
    console.log('terminated=' + codes.filter((c) => c === 1).length);
  })();
} else {
  (async () => {
    const c = await a.open(process.env.VIRT_URI);
    c.setEventHandler(() => {});
    await c.registerDomainEvent(0);
    parentPort.postMessage('ready');
    const web = await c.lookupByName('web-1');
    for (;;) {
      await Promise.all([
        web.destroyFlags(0).then(() => web.createWithFlags(0)).catch(() => {}),
        ...Array.from({ length: 50 }, () => c.lookupByName('db-1')),
        ...Array.from({ length: 50 }, () => c.lookupByName('nope').catch(() => {})),
      ]);
    }
  })();
}
`);
    const r = await runScript(file, { timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.stdout.trim()).toBe('terminated=24');
  }, 40_000);

  it('GC: 10,000 Guest objects and 10,000 raw domains dropped and collected, no crash', async () => {
    const file = writeScript('gc.js', `${TS_REQUIRE_PRELUDE}
const { LibvirtConnection } = require(REPO + '/src/libvirt/connection.ts');
const a = require(process.env.VIRT_ADDON);
(async () => {
  const c = await LibvirtConnection.open(process.env.VIRT_URI);
  let guests = [];
  while (guests.length < 10000) guests.push(...await c.listAllDomains(0));
  let raw = await a.open(process.env.VIRT_URI);
  let doms = await Promise.all(Array.from({ length: 10000 }, (_, i) => raw.lookupByName(['web-1', 'db-1', 'paused-1'][i % 3])));
  const n = guests.length + doms.length;
  guests = []; doms = [];
  for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
  const web = await c.lookupByName('web-1');
  const st = await web.state();
  await raw.close();
  raw = null;
  await c.close();
  for (let i = 0; i < 3; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
  console.log('objects=' + n + ' state=' + st.state + ' rss=' + Math.round(process.memoryUsage().rss / 1048576));
})();
`);
    const r = await runScript(file, { timeoutMs: 60_000, execArgv: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.stdout).toMatch(/objects=20000 state=1 /);
  }, 90_000);
});
