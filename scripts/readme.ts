/**
 * The parts of README.md written from the code and the benchmark, between marker comments: the
 * server's flag table (src/server/options.ts) and the performance targets bench/results.md says are
 * missed. `npm run docs` rewrites them (with docs/PROTOCOL.md); test/server/options.test.ts fails when
 * README.md is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReadmeTable } from '../src/server/options.js';

export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));
export const RESULTS_PATH = fileURLToPath(new URL('../bench/results.md', import.meta.url));

/** The targets of bench/results.md that are not met in every run, as README bullets, with the run's date. */
export function missedTargets(results: string): string {
  const date = /^- Date: (\S+?)T/m.exec(results)?.[1] ?? 'unknown';
  const missed = results
    .split('\n')
    .filter((l) => l.startsWith('- ') && /(NOT met|met in \d+ of \d+)/.test(l))
    .map((l) => `  ${l}`);
  return [`- Performance targets missed in the last benchmark run (${date}, bench/results.md, which says where the time goes):`, ...missed].join('\n');
}

/** README's generated regions, by marker name. */
function regions(): Record<string, string> {
  return { 'server-options': renderReadmeTable(), 'missed-targets': missedTargets(readFileSync(RESULTS_PATH, 'utf8')) };
}

/** `readme` with every generated region rewritten; throws if a marker is missing. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, body] of Object.entries(regions())) {
    const re = new RegExp(`(<!-- generated: ${name} [^>]*-->\\n)(?:[\\s\\S]*?\\n)?(<!-- end: ${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- generated: ${name} ... --> ... <!-- end: ${name} --> region`);
    out = out.replace(re, (_, open: string, close: string) => `${open}${body}\n${close}`);
  }
  return out;
}

/** Rewrites README.md's generated regions; says what it did. */
export function updateReadme(): string {
  const before = readFileSync(README_PATH, 'utf8');
  const after = renderReadme(before);
  if (after === before) return `${README_PATH} is up to date`;
  writeFileSync(README_PATH, after);
  return `wrote ${README_PATH}`;
}
