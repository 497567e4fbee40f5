/**
 * What a source file imports, read as text: for the unit guard (what a file loads at run time) and
 * the import-circle test (what a file depends on, types included).
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The module specifiers a source file names: imports and re-exports, static and dynamic. A
 * type-only import loads nothing at run time: it is left out unless `types` is set.
 */
export function importsOf(source: string, { types = false } = {}): string[] {
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) if (types || !/^(?:import|export)\s+type\s/.test(m[0])) out.push(m[1]!);
  return out;
}

/** A relative import resolved to the file it names (`./x.js` is `./x.ts` or `./x.tsx` in source). */
export function resolveImport(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
  return [base, `${stem}.ts`, `${stem}.tsx`].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
}
