#!/usr/bin/env node
// Writes the Debian copyright file (machine-readable format 1.0) of the
// package being staged: the project itself, then every npm package under the
// staged node_modules with the license its package.json declares and the text
// of the license files it ships. Apache-2.0 points to common-licenses instead
// of repeating the text (Debian policy 12.5). Exits non-zero when a bundled
// package declares no license, so nothing unlicensed is shipped unnoticed.
//   node copyright.js APP_DIR (the staged /usr/lib/virt-agent) PREFIX (its path in the package) > copyright
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [appDir, prefix] = process.argv.slice(2);
if (!appDir || !prefix) {
  process.stderr.write('usage: copyright.js APP_DIR INSTALL_PREFIX\n');
  process.exit(2);
}

const LICENSE_FILE = /^(licen[cs]e|copying|unlicense)([.-].*)?$/i;
const APACHE_TEXT = /Apache License\s+Version 2\.0, January 2004/;
const APACHE_POINTER = 'On Debian systems, the full text of the Apache License 2.0 is in\n/usr/share/common-licenses/Apache-2.0.';

/** Every package directory below node_modules (scoped and nested ones too). */
function packageDirs(dir, out = []) {
  const nm = path.join(dir, 'node_modules');
  if (!fs.existsSync(nm)) return out;
  for (const name of fs.readdirSync(nm).sort()) {
    if (name.startsWith('.')) continue;
    const p = path.join(nm, name);
    if (name.startsWith('@')) {
      for (const sub of fs.readdirSync(p).sort()) {
        const q = path.join(p, sub);
        out.push(q);
        packageDirs(q, out);
      }
    } else if (fs.existsSync(path.join(p, 'package.json'))) {
      out.push(p);
      packageDirs(p, out);
    }
  }
  return out;
}

/** License files of one package, also of parts it vendors (not its own node_modules). */
function licenseFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...licenseFiles(dir, p));
    else if (e.isFile() && LICENSE_FILE.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** "(MIT OR Apache-2.0)" → "MIT or Apache-2.0" (the copyright format's syntax). */
function dep5License(spdx) {
  return spdx.replace(/^\((.*)\)$/, '$1').replace(/\bOR\b/g, 'or').replace(/\bAND\b/g, 'and');
}

function block(text) {
  return text
    .replace(/\r\n?/g, '\n')
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.replace(/\t/g, '    ')}`))
    .join('\n');
}

function copyrightLines(texts) {
  const lines = new Set();
  for (const t of texts) {
    for (const l of t.split('\n')) {
      const m = /^\s*(copyright\s+(\(c\)|©|\d{4}).*)$/i.exec(l);
      if (m) lines.add(m[1].trim());
    }
  }
  return [...lines];
}

const out = [];
out.push(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: virt-agent
Comment: The npm packages under ${prefix}/node_modules are bundled: Debian 12
 does not package most of them, or only in versions this code does not run on.
 better-sqlite3 embeds SQLite, which is in the public domain.

Files: *
Copyright: virt-agent contributors
License: Apache-2.0`);

for (const dir of packageDirs(appDir)) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const rel = path.relative(appDir, dir);
  const declared = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type;
  if (!declared) {
    process.stderr.write(`copyright.js: ${rel} (${pkg.name}@${pkg.version}) declares no license\n`);
    process.exit(1);
  }
  const license = dep5License(declared);
  const files = licenseFiles(dir);
  // A full Apache 2.0 text (rc ships one beside its MIT and BSD texts) becomes the pointer.
  const texts = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .map((t) => (APACHE_TEXT.test(t) ? APACHE_POINTER : t));
  const notices = copyrightLines(texts);
  let para = `Files: ${prefix}/${rel}/*\nCopyright: ${notices.length ? notices.join('\n ') : `the authors of ${pkg.name}`}\nLicense: ${license}`;
  if (declared === 'Apache-2.0') {
    para += `\n${block(APACHE_POINTER)}`;
  } else if (texts.length) {
    para += `\n${texts.map(block).join('\n .\n')}`;
  } else {
    para += `\n ${pkg.name}@${pkg.version} declares "${declared}" in its package.json and ships no license text.`;
  }
  out.push(para);
}

out.push(`License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License.
 .
 On Debian systems, the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.`);

process.stdout.write(`${out.join('\n\n')}\n`);
