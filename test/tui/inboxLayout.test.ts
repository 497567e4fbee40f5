import test from 'ava';
import { visibleLines, wrapEntry } from '../../src/tui/inboxLayout.js';
import type { InboxEntry } from '../../src/tui/state.js';

const entry = (i: number, content = `message ${i}`): InboxEntry => ({ key: `m${i}`, sender: 'alice', sentAt: 0, content });

test('a short entry is one line with time, sender and text', (t) => {
  const [l, ...rest] = wrapEntry(entry(1), 80);
  t.is(rest.length, 0);
  t.regex(l!.time!, /^\d\d:\d\d$/);
  t.is(l!.who, 'alice');
  t.is(l!.text, 'message 1');
});

test('long content hard-wraps to the width, continuation lines indented', (t) => {
  const lines = wrapEntry(entry(1, 'x'.repeat(100)), 40);
  // first line room: 40 - 6 - "alice: ".length = 27; then 34 per line
  t.deepEqual(
    lines.map((l) => l.text.length),
    [27, 34, 34, 5],
  );
  t.is(lines.map((l) => l.text).join(''), 'x'.repeat(100));
});

test('own messages and deleted senders are labelled', (t) => {
  t.is(wrapEntry({ key: 'c1', sender: 'me', recipient: 'bob', sentAt: 0, content: 'hi', status: 'sending' }, 80)[0]!.who, 'you → bob');
  t.true(wrapEntry({ key: 'c1', sender: 'me', recipient: 'bob', sentAt: 0, content: 'hi', status: 'sending' }, 80)[0]!.pending);
  t.is(wrapEntry({ ...entry(1), senderDeleted: true }, 80)[0]!.who, 'alice (deleted)');
});

test('visibleLines shows the newest at the bottom, scroll hides entries below', (t) => {
  const entries = Array.from({ length: 100 }, (_, i) => entry(i));
  t.deepEqual(
    visibleLines(entries, 0, 80, 3).map((l) => l.text),
    ['message 97', 'message 98', 'message 99'],
  );
  t.deepEqual(
    visibleLines(entries, 10, 80, 2).map((l) => l.text),
    ['message 88', 'message 89'],
  );
  t.is(visibleLines([], 0, 80, 5).length, 0);
});

test('visibleLines cuts a tall entry at the top of the view', (t) => {
  const lines = visibleLines([entry(1, 'y'.repeat(200))], 0, 40, 3);
  t.is(lines.length, 3);
  t.is(lines[0]!.time, undefined);
});
