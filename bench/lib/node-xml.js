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

/** Two file disks in <instances>/<uuid>/ (Nova's layout): disk (created, empty) and disk.config (absent). */
function fileDisks(instances, uuid) {
  fs.mkdirSync(path.join(instances, uuid), { recursive: true });
  fs.writeFileSync(path.join(instances, uuid, 'disk'), '');
  return '<devices>'
    + `<disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="${instances}/${uuid}/disk"/><target dev="vda" bus="virtio"/></disk>`
    + `<disk type="file" device="disk"><driver name="qemu" type="raw"/><source file="${instances}/${uuid}/disk.config"/><target dev="vdb" bus="virtio"/></disk>`
    + '</devices>';
}

/**
 * Writes a node with `count` domains vm-<start>..vm-<start+count-1>, disk-less
 * unless `disksIn` (an instances directory: two file disks each, see fileDisks).
 * runstate: 1 running, 5 shut off, or a function of the index; managedSave
 * adds <test:hasmanagedsave/>.
 */
function writeNode(dir, { count, start = 0, runstate = 1, managedSave = false, file = 'node.xml', disksIn }) {
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
    const state = typeof runstate === 'function' ? runstate(i) : runstate;
    parts.push(`  <domain type="test"><name>${name}</name><uuid>${uuidFor(i)}</uuid><memory unit="MiB">64</memory>`
      + `<vcpu>1</vcpu><os><type>hvm</type></os>${disksIn ? fileDisks(disksIn, uuidFor(i)) : ''}<test:runstate>${state}</test:runstate>`
      + `${managedSave ? '<test:hasmanagedsave/>' : ''}</domain>`);
  }
  parts.push('</node>', '');
  const nodeFile = path.join(dir, file);
  fs.writeFileSync(nodeFile, parts.join('\n'));
  return { nodeFile, uri: `test://${nodeFile}`, names, uuids };
}

module.exports = { tempDir, cleanup, uuidFor, writeNode };
