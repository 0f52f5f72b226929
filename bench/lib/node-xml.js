'use strict';
// libvirt test-driver node files (test:///ABS/PATH.xml). Every open of such a
// URI starts from the file again, with private state per connection.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** A fresh temp dir for one case; removed by cleanup(). */
function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `virt-agent-bench-${prefix}-`));
}

function cleanup(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Deterministic v4-shaped uuid for domain i. */
function uuidFor(i) {
  return `bbbbbbbb-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/**
 * Writes a node with `count` disk-less domains vm-<start>..vm-<start+count-1>.
 * runstate: 1 running, 5 shut off; managedSave adds <test:hasmanagedsave/>.
 */
function writeNode(dir, { count, start = 0, runstate = 1, managedSave = false, file = 'node.xml' }) {
  const parts = [
    '<?xml version="1.0"?>',
    '<node xmlns:test="http://libvirt.org/schemas/domain/test/1.0">',
    '  <cpu><mhz>2400</mhz><model>i686</model><active>4</active><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>',
    // enough host memory for every domain to run at once
    `  <memory>${Math.max(16777216, count * 65536 * 2)}</memory>`,
  ];
  const names = [];
  const uuids = [];
  for (let i = start; i < start + count; i++) {
    const name = `vm-${i}`;
    names.push(name);
    uuids.push(uuidFor(i));
    parts.push(`  <domain type="test"><name>${name}</name><uuid>${uuidFor(i)}</uuid><memory unit="MiB">64</memory>`
      + `<vcpu>1</vcpu><os><type>hvm</type></os><test:runstate>${runstate}</test:runstate>`
      + `${managedSave ? '<test:hasmanagedsave/>' : ''}</domain>`);
  }
  parts.push('</node>', '');
  const nodeFile = path.join(dir, file);
  fs.writeFileSync(nodeFile, parts.join('\n'));
  return { nodeFile, uri: `test://${nodeFile}`, names, uuids };
}

module.exports = { tempDir, cleanup, uuidFor, writeNode };
