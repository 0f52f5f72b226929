#!/usr/bin/env node
// Fails when modules under src/ import each other in a cycle at run time
// (type-only imports are erased by tsc and do not count). A cycle makes one
// module see the other half-initialized: an exported constant or class is
// undefined depending on which file was loaded first. Part of `npm run lint`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const SRC = path.resolve(__dirname, '..', 'src');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolve(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

/** Modules `file` needs at run time. */
function runtimeImports(file) {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out = [];
  for (const st of sf.statements) {
    let spec;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined
        && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0
        && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) spec = st.moduleSpecifier.text;
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      const named = st.exportClause && ts.isNamedExports(st.exportClause) ? st.exportClause.elements : undefined;
      if (!named || !named.every((e) => e.isTypeOnly)) spec = st.moduleSpecifier.text;
    }
    const target = spec === undefined ? undefined : resolve(file, spec);
    if (target) out.push(target);
  }
  return out;
}

const graph = new Map(files(SRC).map((f) => [f, runtimeImports(f)]));
const cycles = [];
const state = new Map();
const stack = [];
function visit(f) {
  state.set(f, 'visiting');
  stack.push(f);
  for (const g of graph.get(f) ?? []) {
    if (state.get(g) === 'visiting') cycles.push([...stack.slice(stack.indexOf(g)), g]);
    else if (!state.has(g)) visit(g);
  }
  stack.pop();
  state.set(f, 'done');
}
for (const f of graph.keys()) if (!state.has(f)) visit(f);

if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => path.relative(SRC, f)).join(' -> ')}`);
  process.exit(1);
}
console.log(`check-cycles: no run-time import cycles among ${graph.size} modules`);
