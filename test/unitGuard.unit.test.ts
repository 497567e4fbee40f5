/**
 * What makes a unit test here: no sockets, no processes (`npm run test:unit` runs exactly the
 * *.unit.test.ts / *.unit.test.tsx files). Every unit file, and every test helper it imports
 * (followed through test/), imports none of the modules that open sockets or start processes, nor
 * the helpers that start servers, databases or terminals. A test that needs them is named
 * *.test.ts and runs in `npm test`.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, resolveImport } from './lib/imports.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TEST_DIR = path.join(ROOT, 'test');

/** Modules that open sockets or start processes. */
const FORBIDDEN_MODULES = new Set([
  ...['net', 'tls', 'dgram', 'http', 'https', 'http2', 'child_process', 'cluster'].flatMap((m) => [m, `node:${m}`]),
  'node-pty',
  '@grpc/grpc-js',
  'pg',
]);

/** Files (from the repository root) that start servers, databases or terminals. */
const FORBIDDEN_FILES = new Set([
  'test/server/helpers.ts',
  'test/server/pg.ts',
  'test/tui/realServer.ts',
  'test/lib/tap.ts',
  'test/e2e/pty.ts',
  'src/server/server.ts',
]);

const UNIT = /\.unit\.test\.tsx?$/;

/** Why `file` is not a unit test: each forbidden import, with the chain of test files that leads to it. */
function violations(file: string, read = (f: string) => fs.readFileSync(f, 'utf8')): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (f: string, chain: string[]) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const spec of importsOf(read(f))) {
      const via = [...chain, path.relative(ROOT, f)].join(' -> ');
      if (FORBIDDEN_MODULES.has(spec)) found.push(`${via} imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = resolveImport(f, spec);
      if (!target) continue;
      const rel = path.relative(ROOT, target);
      if (FORBIDDEN_FILES.has(rel)) found.push(`${via} imports ${rel}`);
      // Test helpers are followed; the code under test (src/) is what a unit test is allowed to load.
      else if (target.startsWith(TEST_DIR + path.sep)) visit(target, [...chain, path.relative(ROOT, f)]);
    }
  };
  visit(file, []);
  return found;
}

function unitFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? unitFiles(p) : UNIT.test(e.name) ? [p] : [];
  });
}

test('no unit test file opens a socket or starts a process, directly or through a test helper', (t) => {
  // This file's examples of forbidden imports below are strings, not imports.
  const files = unitFiles(TEST_DIR).filter((f) => f !== fileURLToPath(import.meta.url));
  t.true(files.length > 20, `only ${files.length} unit files found`);
  t.deepEqual(files.flatMap((f) => violations(f)), []);
});

test('the guard sees imports of every form, and follows test helpers to what they import', (t) => {
  t.deepEqual(importsOf("import net from 'node:net';\nimport { type X, y } from './a.js';\nexport { z } from \"../b.js\";"), ['node:net', './a.js', '../b.js']);
  t.deepEqual(importsOf("import type { Socket } from 'node:net';"), [], 'a type-only import loads nothing');
  t.deepEqual(importsOf("import {\n  a,\n  b,\n} from 'node-pty';\nimport './side.js';\nconst m = await import('node:child_process');"), ['node-pty', './side.js', 'node:child_process']);
  // A unit file importing realServer.ts (which starts a server), and one importing a helper that imports it.
  const probe = path.join(TEST_DIR, 'tui', 'probe.unit.test.ts');
  const source = (text: string) => (f: string) => (f === probe ? text : fs.readFileSync(f, 'utf8'));
  t.deepEqual(violations(probe, source("import { realServer } from './realServer.js';")), ['test/tui/probe.unit.test.ts imports test/tui/realServer.ts']);
  t.deepEqual(violations(probe, source("import { ok } from './state/helpers.js';")), []);
  t.true(violations(probe, source("import { Tap } from '../lib/tap.js';")).some((v) => v.includes('test/lib/tap.ts')));
});
