/** Checks that README.md holds a block generated from one of the TUI's tables. */
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** README.md holds `block` as generated: compared line by line from its first line, so a failure shows the difference. */
export function inReadme(t: ExecutionContext, block: string): void {
  const want = block.split('\n');
  const lines = readme.split('\n');
  const at = lines.indexOf(want[0]!);
  t.not(at, -1, `README.md has no line "${want[0]}"; it should hold:\n\n${block}\n`);
  t.is(lines.slice(at, at + want.length).join('\n'), block, 'README.md differs from the table it documents (expected is what to paste)');
}
