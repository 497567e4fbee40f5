import test from 'ava';
import { maxScroll, viewEntries, viewLines, windows, totalUnread, type State } from '../../../src/tui/state/index.js';
import { windowOf } from '../../../src/tui/messageLines.js';
import { arrive, loggedIn, msg, run, texts } from './helpers.js';

const screenText = (s: State) => windowOf(viewLines(s.convs), s.convs.scroll, s.convs.rows).map((l) => l.text);

test('defect 5: a live message C shows below the older fetched A and B (ordered by server id)', (t) => {
  let s = loggedIn();
  s = run(s, arrive(msg(3, 'carol', 'C')));
  s = run(s, { type: 'messages', messages: [msg(1, 'alice', 'A'), msg(2, 'alice', 'B')], live: false });
  t.deepEqual(texts(s), ['A', 'B', 'C']);
});

test('our own message takes its place by server id once accepted', (t) => {
  let s = loggedIn();
  s = run(s, { type: 'sendStarted', clientId: 7, recipient: 'alice', text: 'mine', at: 0, fromCompose: false });
  s = run(s, arrive(msg(5, 'alice', 'later')));
  t.deepEqual(texts(s), ['later', 'mine'], 'pending messages sort last');
  s = run(s, { type: 'sendAccepted', clientId: 7, id: 4 });
  t.deepEqual(texts(s), ['mine', 'later']);
  t.is(s.convs.entries[0]!.delivery, 'queued');
});

test('a repeated push is shown once: same id, or same sender and clientId under a new id', (t) => {
  let s = loggedIn();
  s = run(s, arrive(msg(1, 'alice', 'hi', { clientId: 42 })), arrive(msg(1, 'alice', 'hi', { clientId: 42 })));
  s = run(s, arrive(msg(2, 'alice', 'hi', { clientId: 42 })));
  t.deepEqual(texts(s), ['hi']);
  // Another sender may use the same clientId.
  s = run(s, arrive(msg(3, 'carol', 'yo', { clientId: 42 })));
  t.deepEqual(texts(s), ['hi', 'yo']);
});

test('clientId 0 means no id: never taken as a repeat', (t) => {
  const s = run(loggedIn(), arrive(msg(1, 'alice', 'a')), arrive(msg(2, 'alice', 'b')));
  t.deepEqual(texts(s), ['a', 'b']);
});

test('a message to ourselves shows once, as sent, and is delivered', (t) => {
  let s = loggedIn('bob');
  s = run(s, { type: 'sendStarted', clientId: 9, recipient: 'bob', text: 'note', at: 0, fromCompose: false });
  s = run(s, arrive(msg(1, 'bob', 'note', { clientId: 9 })));
  s = run(s, { type: 'sendAccepted', clientId: 9, id: 1 });
  t.deepEqual(texts(s), ['note']);
  t.is(s.convs.entries[0]!.delivery, 'delivered');
});

test('each sender gets a conversation; its view shows only that conversation; the inbox shows all', (t) => {
  let s = run(loggedIn(), arrive(msg(1, 'alice', 'a1'), msg(2, 'carol', 'c1'), msg(3, 'alice', 'a2')));
  t.deepEqual(windows(s.convs), [null, 'alice', 'carol']);
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['a1', 'c1', 'a2']);
  s = run(s, { type: 'view', view: 'alice' });
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['a1', 'a2']);
  s = run(s, { type: 'viewNext', dir: 1 });
  t.is(s.convs.view, 'carol');
  s = run(s, { type: 'viewNumber', n: 1 });
  t.is(s.convs.view, null);
});

test('defect 14: unread clears when the conversation is on screen, not only by choosing a recipient', (t) => {
  let s = run(loggedIn(), { type: 'view', view: 'carol' }, arrive(msg(1, 'alice'), msg(2, 'alice')));
  t.is(s.convs.unread['alice'], 2);
  t.is(totalUnread(s), 2);
  // Messages arriving in the conversation on screen are read at once.
  s = run(s, { type: 'query', name: 'carol', show: true }, arrive(msg(3, 'carol')));
  t.is(s.convs.unread['carol'], undefined);
  s = run(s, { type: 'viewNextUnread' });
  t.is(s.convs.view, 'alice');
  t.is(totalUnread(s), 0);
});

test('defect 14: with the inbox on screen and at the bottom, nothing counts as unread', (t) => {
  const s = run(loggedIn(), arrive(...Array.from({ length: 300 }, (_, i) => msg(i + 1))));
  t.is(totalUnread(s), 0);
});

test('scrolled back, new messages count as unread and below, and the view stays put', (t) => {
  let s = run(loggedIn('bob', 5), arrive(...Array.from({ length: 20 }, (_, i) => msg(i + 1))));
  s = run(s, { type: 'scrollPage', dir: -1 });
  const before = screenText(s);
  s = run(s, arrive(msg(21, 'alice', 'new')));
  t.deepEqual(screenText(s), before);
  t.is(s.convs.newBelow, 1);
  t.is(totalUnread(s), 1);
  s = run(s, { type: 'scrollTo', where: 'bottom' });
  t.is(totalUnread(s), 0);
  t.is(s.convs.newBelow, 0);
});

test('defect 6: Home shows a full screen of the oldest lines; PgUp/PgDn move by whole pages', (t) => {
  let s = run(loggedIn('bob', 5), arrive(...Array.from({ length: 40 }, (_, i) => msg(i + 1, 'alice', `n${i + 1}`))));
  const all = viewLines(s.convs).map((l) => l.text);
  s = run(s, { type: 'scrollTo', where: 'top' });
  t.deepEqual(screenText(s), all.slice(0, 5), 'the top of the history fills the pane');
  t.is(s.convs.scroll, maxScroll(s.convs));
  const steps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = s.convs.scroll;
    s = run(s, { type: 'scrollPage', dir: 1 });
    steps.push(before - s.convs.scroll);
    t.is(screenText(s).length, 5, 'the pane stays full');
  }
  t.deepEqual(steps, [5, 5, 5]);
  s = run(s, { type: 'scrollPage', dir: -1 });
  t.deepEqual(screenText(s), all.slice(10, 15));
});

test('a date line marks the first message and each change of day', (t) => {
  const day = 86_400_000;
  const at = (d: number) => Date.UTC(2026, 10, 28, 12) + d * day;
  const s = run(loggedIn('bob', 20), arrive(msg(1, 'alice', 'a', { sentAt: at(0) }), msg(2, 'alice', 'b', { sentAt: at(0) + 1000 }), msg(3, 'alice', 'c', { sentAt: at(1) })));
  const dates = viewLines(s.convs).filter((l) => l.date);
  t.is(dates.length, 2);
  t.regex(dates[0]!.text, /2026/);
});

test('/close leaves the conversation list; /clear empties the window but keeps the history', (t) => {
  let s = run(loggedIn(), arrive(msg(1, 'alice'), msg(2, 'carol')), { type: 'view', view: 'alice' });
  s = run(s, { type: 'clearView' });
  t.is(viewEntries(s.convs).length, 0);
  s = run(s, arrive(msg(3, 'alice', 'after')));
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['after']);
  s = run(s, { type: 'closeView' });
  t.is(s.convs.view, null);
  t.deepEqual(windows(s.convs), [null, 'carol']);
  t.is(viewEntries(s.convs).length, 3);
});

test('search shows matching messages instead of the view until closed', (t) => {
  let s = run(loggedIn(), arrive(msg(1, 'alice', 'lunch at noon'), msg(2, 'alice', 'later'), msg(3, 'carol', 'LUNCH?')));
  s = run(s, { type: 'search', query: 'lunch' });
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['lunch at noon', 'LUNCH?']);
  s = run(s, { type: 'searchClose' });
  t.is(viewEntries(s.convs).length, 3);
});

test('history restored at login: in order, nothing unread, and a repeat of a restored message is dropped', (t) => {
  let s = run(loggedIn(), { type: 'loggedOut', reason: 'x' });
  s = run(s, {
    type: 'loggedIn',
    me: 'bob',
    undelivered: 0,
    history: [
      { id: 1, sender: 'alice', peer: 'alice', own: false, clientId: 5, sentAt: 1, text: 'old' },
      { id: 2, sender: 'bob', peer: 'alice', own: true, clientId: 6, sentAt: 2, text: 'reply', delivery: 'queued' },
    ],
  });
  t.deepEqual(texts(s), ['old', 'reply']);
  t.is(totalUnread(s), 0);
  t.deepEqual(windows(s.convs), [null, 'alice']);
  s = run(s, arrive(msg(1, 'alice', 'old', { clientId: 5 })));
  t.deepEqual(texts(s), ['old', 'reply']);
});

test('a delivery receipt marks our message delivered, and a late Accepted does not undo it', (t) => {
  let s = run(loggedIn(), { type: 'sendStarted', clientId: 3, recipient: 'alice', text: 'x', at: 0, fromCompose: false });
  t.is(s.convs.entries[0]!.delivery, 'pending');
  s = run(s, { type: 'sendAccepted', clientId: 3, id: 10 });
  t.is(s.convs.entries[0]!.delivery, 'queued');
  s = run(s, { type: 'delivered', ids: [10] });
  t.is(s.convs.entries[0]!.delivery, 'delivered');
  s = run(s, { type: 'sendAccepted', clientId: 3, id: 10 });
  t.is(s.convs.entries[0]!.delivery, 'delivered');
});

test('a server that lost its data and reuses an id is not taken for repeating a restored message', (t) => {
  let s = run(loggedIn(), { type: 'loggedOut', reason: 'x' });
  s = run(s, { type: 'loggedIn', me: 'bob', undelivered: 0, history: [{ id: 1, sender: 'alice', peer: 'alice', own: false, clientId: 0, sentAt: 1000, text: 'old' }] });
  s = run(s, arrive(msg(1, 'alice', 'old', { sentAt: 1000 })));
  t.deepEqual(texts(s), ['old'], 'the same message again is dropped');
  s = run(s, arrive(msg(1, 'alice', 'new after a reset', { sentAt: 5000 })));
  t.deepEqual(texts(s), ['old', 'new after a reset']);
  t.is(new Set(s.convs.entries.map((e) => e.key)).size, 2, 'each has a key of its own');
});

test('live messages that share an id (from servers that count ids apart) are both shown, each with its own key', (t) => {
  const s = run(loggedIn(), arrive(msg(7, 'alice', 'from the first server', { sentAt: 1000 })), arrive(msg(7, 'carol', 'from the next one', { sentAt: 2000 })));
  t.deepEqual(texts(s), ['from the first server', 'from the next one']);
  t.is(new Set(s.convs.entries.map((e) => e.key)).size, 2);
});
