// The modules of src/ import each other without a circle (type-only imports count too): each file
// can be read, tested and replaced from the files it names, never from one that names it back.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, resolveImport } from './lib/imports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The files of src/ that `file` imports, type-only imports included (a circle of types is a circle). */
function srcImports(file: string, text: string): string[] {
  return importsOf(text, { types: true })
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolveImport(file, spec))
    .filter((f): f is string => f !== undefined && f.startsWith(SRC));
}

/** The strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('finds a circle where there is one, and none in a chain', (t) => {
  t.deepEqual(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  t.deepEqual(circles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
});

test('reads import, export-from, type-only and dynamic imports', (t) => {
  const here = path.join(SRC, 'protocol', 'client.ts');
  const text = "import type { A } from './codec.js';\nexport { B } from './clientIds.js';\nconst x = await import('./framing.js');\nimport net from 'node:net';";
  t.deepEqual(
    srcImports(here, text).map((f) => path.relative(SRC, f)),
    ['protocol/codec.ts', 'protocol/clientIds.ts', 'protocol/framing.ts'],
  );
});

test('no import circle in src/', (t) => {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) graph.set(f, srcImports(f, fs.readFileSync(f, 'utf8')));
  t.true(graph.size > 50);
  t.deepEqual(
    circles(graph).map((c) => c.map((f) => path.relative(ROOT, f))),
    [],
    'each group of files above imports itself in a circle: move what they share into a module of its own',
  );
});
