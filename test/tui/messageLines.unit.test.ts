import test from 'ava';
import { DELIVERY_MARK, layoutLines, totalLines, visibleLines, windowOf, wrapEntry, type MessageLine } from '../../src/tui/messageLines.js';
import type { Entry } from '../../src/tui/state/index.js';
import { textWidth } from '../../src/tui/text/width.js';

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

test('own messages read "you → peer" and carry their delivery state on their last line', (t) => {
  const [first] = wrapEntry(entry(1, 'hi', undefined, true), 40);
  t.is(first!.who, 'you → alice');
  t.is(first!.delivery, 'queued');
  const lines = wrapEntry(entry(2, 'a message long enough to wrap onto a second line', undefined, true), 30);
  t.true(lines.length > 1);
  t.deepEqual(lines.map((l) => l.delivery), [...lines.slice(1).map(() => undefined), 'queued']);
});

/** The columns a line takes on screen as MessagesPane writes it. */
const shownWidth = (l: MessageLine): number =>
  textWidth(`${l.time !== undefined ? `${l.time} ${l.who}${l.action ? ' ' : ': '}` : '      '}${l.text}${l.delivery ? DELIVERY_MARK[l.delivery] : ''}`);

test('defect 6: an own message that wraps keeps its whole first line and its ✓ / ✓✓: every line fits the pane', (t) => {
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua';
  for (const width of [30, 41, 57, 58, 59, 60, 77, 98]) {
    for (const delivery of ['pending', 'queued', 'delivered'] as const) {
      const lines = wrapEntry({ ...entry(1, text, undefined, true), delivery }, width);
      for (const l of lines) t.true(shownWidth(l) <= width, `${width}: ${JSON.stringify(l)}`);
      t.is(lines.map((l) => l.text).join(' '), text, 'no word lost');
      t.is(lines.at(-1)!.delivery, delivery);
    }
  }
});

test('an action reads "* alice waves", own or not', (t) => {
  const [theirs] = wrapEntry({ ...entry(1, 'waves'), action: true }, 40);
  t.is(theirs!.who, '* alice');
  t.true(theirs!.action);
  const [mine] = wrapEntry({ ...entry(2, 'waves back', undefined, true), action: true }, 40);
  t.is(mine!.who, '* bob');
  for (const l of wrapEntry({ ...entry(3, 'x '.repeat(40), undefined, true), action: true }, 30)) t.true(shownWidth(l) <= 30);
});

test('the read marker is a line of its own before the first new message, counted in the scroll', (t) => {
  const entries = [1, 2, 3, 4].map((i) => entry(i, `m${i}`));
  const all = layoutLines(entries, 40, 2);
  t.deepEqual(all.map((l) => (l.marker ? 'MARKER' : l.text)), [all[0]!.text, 'm1', 'm2', 'MARKER', 'm3', 'm4']);
  t.is(totalLines(entries, 40, 2), all.length);
  for (let scroll = 0; scroll <= all.length; scroll++) {
    t.deepEqual(visibleLines(entries, 40, scroll, 3, 2).map((l) => l.key), windowOf(all, scroll, 3).map((l) => l.key));
  }
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
