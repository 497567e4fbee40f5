/** Read markers, the activity list, the bell, restoring the outbox and /clear at login, presence while disconnected. */
import test from 'ava';
import { activity, markerIndex, pendingCount, viewEntries, viewLines } from '../../../src/tui/state/index.js';
import { arrive, loggedIn, msg, run } from './helpers.js';

const lineTexts = (s: ReturnType<typeof loggedIn>) => viewLines(s.convs).filter((l) => !l.date).map((l) => (l.marker ? 'MARKER' : l.text));

test('defect 9: messages fetched after login come below a read marker; the history restored above it was seen', (t) => {
  let s = run(loggedIn(), { type: 'loggedIn', me: 'bob', undelivered: 2, history: [1, 2].map((id) => ({ ...msg(id, 'alice', `old ${id}`), peer: 'alice', own: false })) });
  s = run(s, { type: 'messages', messages: [msg(3, 'alice', 'new 3'), msg(4, 'carol', 'new 4')], live: false });
  t.deepEqual(lineTexts(s), ['old 1', 'old 2', 'MARKER', 'new 3', 'new 4']);
});

test('a window left and come back to shows the marker before what arrived meanwhile; replying takes it away', (t) => {
  let s = run(loggedIn(), arrive(msg(1, 'alice', 'a1')), { type: 'view', view: 'alice' });
  t.is(markerIndex(s.convs), -1, 'a new window has no marker');
  s = run(s, { type: 'view', view: null }, arrive(msg(2, 'alice', 'a2')), { type: 'view', view: 'alice' });
  t.deepEqual(lineTexts(s), ['a1', 'MARKER', 'a2']);
  s = run(s, { type: 'sendStarted', clientId: 5, recipient: 'alice', text: 'reply', at: Date.now(), fromCompose: true });
  t.deepEqual(lineTexts(s), ['a1', 'a2', 'reply']);
});

test('defect 9: the activity list names the windows with unread messages by number', (t) => {
  let s = run(loggedIn(), { type: 'query', name: 'alice', show: true }, arrive(msg(1, 'carol'), msg(2, 'dave'), msg(3, 'dave')));
  t.deepEqual(activity(s.convs), [3, 4]);
  s = run(s, { type: 'viewNumber', n: 4 });
  t.deepEqual(activity(s.convs), [3]);
});

test('defect 9: the bell counts live messages for a window not on screen, not fetched ones, not the one you look at', (t) => {
  let s = run(loggedIn(), { type: 'query', name: 'alice', show: true });
  s = run(s, arrive(msg(1, 'alice')));
  t.is(s.convs.bells, 0, 'on screen');
  s = run(s, arrive(msg(2, 'carol')));
  t.is(s.convs.bells, 1);
  s = run(s, { type: 'messages', messages: [msg(3, 'carol')], live: false });
  t.is(s.convs.bells, 1, 'a fetch rings nothing');
  s = run(s, { type: 'view', view: null }, arrive(msg(4, 'dave')));
  t.is(s.convs.bells, 1, 'the inbox shows every message');
});

test('defect 1: the outbox comes back at login as pending messages, after the history, in order', (t) => {
  const s = run(loggedIn(), {
    type: 'loggedIn',
    me: 'bob',
    undelivered: 0,
    history: [{ ...msg(1, 'alice', 'before'), peer: 'alice', own: false }],
    outbox: [
      { clientId: 11, recipient: 'carol', text: 'unsent 1', at: 5 },
      { clientId: 12, recipient: 'carol', text: 'unsent 2', at: 6, action: true },
    ],
    kept: true,
  });
  t.deepEqual(viewEntries(s.convs).map((e) => [e.text, e.delivery ?? '-']), [['before', '-'], ['unsent 1', 'pending'], ['unsent 2', 'pending']]);
  t.true(s.convs.entries.at(-1)!.action);
  t.is(pendingCount(s.convs), 2);
  t.true(s.convs.open.includes('carol'));
  t.true(s.outboxKept);
  // Accepted later: it takes its server id.
  const after = run(s, { type: 'sendAccepted', clientId: 11, id: 9 });
  t.is(pendingCount(after.convs), 1);
});

test('defect 12: /clear holds after a restart: the messages it hid stay hidden by server id', (t) => {
  const history = [1, 2, 3].map((id) => ({ ...msg(id, 'alice', `m${id}`), peer: 'alice', own: false }));
  let s = run(loggedIn(), { type: 'loggedIn', me: 'bob', undelivered: 0, history, cleared: { alice: 2 } });
  s = run(s, { type: 'view', view: 'alice' });
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['m3']);
  s = run(s, { type: 'view', view: null });
  t.deepEqual(viewEntries(s.convs).map((e) => e.text), ['m1', 'm2', 'm3'], 'the inbox was not cleared');
});

test('defect 12: while disconnected no one is shown online (no stale ●)', (t) => {
  let s = run(loggedIn(), { type: 'presence', online: ['alice'] });
  t.true(s.users.online?.has('alice'));
  s = run(s, { type: 'conn', status: 'disconnected' });
  t.is(s.users.online, null);
});

test('defect 5: a line typed in a session that was taken over comes back at the next login, unless a line is being typed', (t) => {
  const s = run(loggedIn(), { type: 'loggedOut', reason: 'x' }, { type: 'loggedIn', me: 'carol', undelivered: 0, draft: 'half typed' });
  t.is(s.compose.line.text, 'half typed');
  t.regex(s.notice ?? '', /back/);
  const busy = run(loggedIn(), { type: 'edit', field: 'compose', op: { insert: 'now' } }, { type: 'loggedOut', reason: 'x' }, { type: 'loggedIn', me: 'bob', undelivered: 0, draft: 'old' });
  t.is(busy.compose.line.text, 'now');
});
