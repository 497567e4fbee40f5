import test from 'ava';
import { layoutLines, totalLines, visibleLines, windowOf, wrapEntry } from '../../src/tui/messageLines.js';
import type { Entry } from '../../src/tui/state/index.js';

const entry = (id: number, text: string, sentAt = new Date(2026, 10, 30, 9, 5).getTime(), own = false): Entry => ({
  key: `i${id}`,
  id,
  seq: id,
  sender: own ? 'bob' : 'alice',
  peer: 'alice',
  own,
  clientId: 0,
  sentAt,
  text,
  delivery: own ? 'queued' : undefined,
});

test('a message wraps at word boundaries under its head, continuation lines indented', (t) => {
  const lines = wrapEntry(entry(1, 'the quick brown fox jumps over the lazy dog'), 30);
  t.is(lines[0]!.time, '09:05');
  t.is(lines[0]!.who, 'alice');
  t.deepEqual(
    lines.map((l) => l.text),
    ['the quick brown', 'fox jumps over the lazy', 'dog'],
  );
});

test('own messages read "you → peer" and carry their delivery state', (t) => {
  const [first] = wrapEntry(entry(1, 'hi', undefined, true), 40);
  t.is(first!.who, 'you → alice');
  t.is(first!.delivery, 'queued');
});

test('a date line before the first message and at each change of day, in local time', (t) => {
  const d1 = new Date(2026, 10, 29, 23, 59).getTime();
  const d2 = new Date(2026, 10, 30, 0, 1).getTime();
  const lines = layoutLines([entry(1, 'a', d1), entry(2, 'b', d1), entry(3, 'c', d2)], 40);
  t.deepEqual(
    lines.map((l) => (l.date ? l.text : l.text)),
    ['── Sun 29 Nov 2026 ──', 'a', 'b', '── Mon 30 Nov 2026 ──', 'c'],
  );
});

test('windowOf: the rows ending `scroll` lines above the bottom', (t) => {
  const lines = layoutLines([1, 2, 3, 4, 5].map((i) => entry(i, `m${i}`)), 40);
  t.deepEqual(windowOf(lines, 0, 2).map((l) => l.text), ['m4', 'm5']);
  t.deepEqual(windowOf(lines, 2, 2).map((l) => l.text), ['m2', 'm3']);
});

test('visibleLines builds the same window as slicing all lines, at every scroll position', (t) => {
  const day = 86_400_000;
  const entries = Array.from({ length: 30 }, (_, i) =>
    entry(i + 1, `message ${i} `.repeat(1 + (i % 5)), new Date(2026, 10, 1).getTime() + Math.floor(i / 7) * day + i * 1000),
  );
  const all = layoutLines(entries, 30);
  for (const rows of [1, 4, 9]) {
    for (let scroll = 0; scroll <= all.length; scroll++) {
      t.deepEqual(
        visibleLines(entries, 30, scroll, rows).map((l) => l.key),
        windowOf(all, scroll, rows).map((l) => l.key),
        `rows ${rows} scroll ${scroll}`,
      );
    }
  }
  t.is(totalLines(entries, 30), all.length);
});
