import test from 'ava';
import { NO_KEY, tokenize, type KeyLike } from '../../src/tui/keys/tokens.js';
import { harness } from './keyHarness.js';
import { waitFor as until } from '../wait.js';
import { arrive, loggedIn, msg, run } from './state/helpers.js';

const withFocus = (pane: 'messages' | 'users') => run(loggedIn(), { type: 'focus', pane });

test('defect 1: with the focus on the messages, "ok, quick" typed key by key is text, and q does not quit', (t) => {
  const h = harness(withFocus('messages'));
  for (const c of 'ok, quick') h.key(c);
  t.is(h.state.compose.line.text, 'ok, quick');
  t.deepEqual(h.effects, []);
});

test('defect 1: letters typed in the users pane go to the message line too', (t) => {
  const h = harness(withFocus('users'));
  h.key('r');
  h.key('j');
  t.is(h.state.compose.line.text, 'rj');
});

test('defect 4: f types an f; Ctrl-F fetches from anywhere', (t) => {
  const h = harness(withFocus('users'));
  h.key('f');
  t.is(h.state.compose.line.text, 'f');
  h.key('f', { ctrl: true });
  t.deepEqual(h.effects, ['fetch']);
});

test('Ctrl-C with an empty line quits; with a draft it asks, and n keeps the draft', (t) => {
  const h = harness(loggedIn());
  h.key('draft');
  h.key('c', { ctrl: true });
  t.deepEqual(h.effects, []);
  t.is(h.state.dialogs.overlay, 'quit');
  h.key('n');
  t.is(h.state.dialogs.overlay, 'none');
  t.is(h.state.compose.line.text, 'draft');
  h.key('c', { ctrl: true });
  h.key('y');
  t.deepEqual(h.effects, ['quit']);
});

/** Feeds the same keys two ways and returns the resulting line. */
function lineAfter(chunks: Array<[string, Partial<KeyLike>]>): string {
  const h = harness(loggedIn());
  for (const [input, k] of chunks) h.key(input, k);
  return h.state.compose.line.text;
}

test('defect 8: keys in one chunk act in order, the same as typed one by one', (t) => {
  const cases: Array<{ chunk: string; keys: Array<[string, Partial<KeyLike>]> }> = [
    { chunk: 'abcdef\x7f\x7f', keys: [['abcdef', {}], ['', { delete: true }], ['', { delete: true }]] },
    { chunk: 'abc' + '\x7f'.repeat(18) + 'z', keys: [['abc', {}], ...Array.from({ length: 18 }, (): [string, Partial<KeyLike>] => ['', { delete: true }]), ['z', {}]] },
    { chunk: 'one two\x05\x15x', keys: [['one two', {}], ['e', { ctrl: true }], ['u', { ctrl: true }], ['x', {}]] },
    { chunk: 'hello world\x17\x01>', keys: [['hello world', {}], ['w', { ctrl: true }], ['a', { ctrl: true }], ['>', {}]] },
    { chunk: 'ab\bc', keys: [['ab', {}], ['', { backspace: true }], ['c', {}]] },
  ];
  for (const c of cases) t.is(lineAfter([[c.chunk, {}]]), lineAfter(c.keys), JSON.stringify(c.chunk));
  t.is(lineAfter([['abcdef\x7f\x7f', {}]]), 'abcd');
  t.is(lineAfter([['abc' + '\x7f'.repeat(18) + 'z', {}]]), 'z');
  t.is(lineAfter([['one two\x05\x15x', {}]]), 'x');
});

test('tokenize: text runs stay whole (one edit), control keys split out; a line feed is Enter (pastes come bracketed, see keyReader)', (t) => {
  t.deepEqual(
    tokenize('ab\rcd\tx\ny', NO_KEY).map(([i, k]) => (k.return ? 'RET' : k.tab ? 'TAB' : i)),
    ['ab', 'RET', 'cd', 'TAB', 'x', 'RET', 'y'],
  );
});

test('Enter in a chunk sends what came before it: "/msg alice hi\\r" typed ahead', (t) => {
  const h = harness(loggedIn());
  h.key('/msg alice hi\r');
  t.deepEqual(h.effects, ['send alice hi']);
  t.is(h.state.compose.line.text, '');
});

test('in the inbox a plain line needs a recipient; in a conversation it goes to that person', (t) => {
  const h = harness(loggedIn());
  h.key('hello');
  h.key('', { return: true });
  t.deepEqual(h.effects, []);
  t.regex(h.state.compose.error ?? '', /msg/);
  h.ctx.dispatch({ type: 'query', name: 'alice', show: true });
  h.key('', { return: true });
  t.deepEqual(h.effects, ['send alice hello']);
});

test('/query, /close, /clear, /help, /fetch, /search, /delete, /quit, and an unknown command', (t) => {
  const h = harness(run(loggedIn(), arrive(msg(1, 'carol'))));
  h.key('/query alice\r');
  t.is(h.state.convs.view, 'alice');
  h.key('/close\r');
  t.is(h.state.convs.view, null);
  t.false(h.state.convs.open.includes('alice'));
  h.key('/help\r');
  t.is(h.state.dialogs.overlay, 'help');
  h.key('', { escape: true });
  t.is(h.state.dialogs.overlay, 'none');
  h.key('/fetch\r');
  h.key('/search lunch\r');
  h.key('/frob\r');
  t.regex(h.state.compose.error ?? '', /no command \/frob/);
  h.key('u', { ctrl: true });
  h.key('/delete\r');
  t.is(h.state.dialogs.overlay, 'delete');
  h.key('', { escape: true });
  h.key('/quit\r');
  t.deepEqual(h.effects, ['fetch', 'search lunch', 'quit']);
});

test('a message over 512 bytes is not sent: Enter offers to split it, y sends the parts in order', (t) => {
  const h = harness(run(loggedIn(), { type: 'query', name: 'alice', show: true }));
  const words = Array.from({ length: 140 }, (_, i) => `w${i}`).join(' ');
  h.key(words + ' ' + words);
  h.key('', { return: true });
  t.deepEqual(h.effects, []);
  t.is(h.state.dialogs.overlay, 'split');
  const parts = h.state.dialogs.split!.parts;
  t.true(parts.length >= 2);
  h.key('y');
  t.deepEqual(h.effects, parts.map((p) => `send alice ${p}`));
});

test('Tab completes a name in the line; with nothing to complete it moves the focus', async (t) => {
  const h = harness(run(loggedIn(), { type: 'usersLoaded', total: 2, names: ['alice', 'bob'] }));
  h.key('/msg al');
  h.key('', { tab: true });
  await until(() => h.state.compose.line.text === '/msg alice ', 'completed');
  h.key('', { tab: true });
  t.is(h.state.focus, 'messages');
  h.key('', { escape: true });
  t.is(h.state.focus, 'compose');
});

test('defect 7: Tab completes over every account (the server is asked by prefix), lists an ambiguous match and cycles on the next Tab', async (t) => {
  const accounts = Array.from({ length: 60 }, (_, i) => `user${String(i).padStart(2, '0')}`).concat(['victor', 'vicky', 'violet']);
  // Only alice is on the users page: victor is known to the server alone.
  const h = harness(run(loggedIn(), { type: 'usersLoaded', total: 1, names: ['alice'] }), accounts);
  h.key('/query vic');
  h.key('', { tab: true });
  await until(() => h.state.compose.line.text === '/query vicky ', 'completed from the server');
  t.true(h.effects.includes('names vic*'));
  t.deepEqual(h.state.compose.completion?.matches, ['vicky', 'victor'], 'the matches are listed');
  h.key('', { tab: true });
  t.is(h.state.compose.line.text, '/query victor ', 'a second Tab cycles, it does not move the focus');
  t.is(h.state.focus, 'compose');
  h.key('', { tab: true });
  t.is(h.state.compose.line.text, '/query vicky ');
  h.key('\r');
  t.is(h.state.convs.view, 'vicky');
});

test('Tab while disconnected completes from the names known here', (t) => {
  const h = harness(run(loggedIn(), { type: 'query', name: 'alice', show: false }, { type: 'conn', status: 'disconnected' }));
  h.key('@al');
  h.key('', { tab: true });
  t.is(h.state.compose.line.text, '@alice ');
  t.false(h.effects.some((e) => e.startsWith('accounts')));
});

test('window keys: Ctrl-N / Ctrl-P, Alt-A for the next unread, Alt-1 the inbox', (t) => {
  const h = harness(run(loggedIn(), { type: 'query', name: 'alice', show: false }, { type: 'view', view: 'alice' }, arrive(msg(1, 'carol'))));
  h.key('a', { meta: true });
  t.is(h.state.convs.view, 'carol');
  h.key('1', { meta: true });
  t.is(h.state.convs.view, null);
  h.key('n', { ctrl: true });
  t.is(h.state.convs.view, 'alice');
  h.key('p', { ctrl: true });
  t.is(h.state.convs.view, null);
});

test('users pane: arrows select, Enter opens the conversation and goes back to the line', (t) => {
  const h = harness(run(withFocus('users'), { type: 'usersLoaded', total: 2, names: ['alice', 'bob'] }));
  h.key('', { downArrow: true });
  h.key('', { downArrow: true });
  h.key('', { return: true });
  t.is(h.state.convs.view, 'bob');
  t.is(h.state.focus, 'compose');
});

test('help scrolls with the arrows and pages, never past its end, and any other key closes it', (t) => {
  const h = harness(run(loggedIn(), { type: 'overlay', overlay: 'help' }));
  h.key('', { pageDown: true });
  h.key('', { pageDown: true });
  t.is(h.state.dialogs.helpScroll, 5);
  h.key('', { upArrow: true });
  t.is(h.state.dialogs.helpScroll, 4);
  h.key('', { escape: true });
  t.is(h.state.dialogs.overlay, 'none');
  t.is(h.state.compose.line.text, '', 'Esc closes it and types nothing');
});

test('defect 11: letters typed at the help close it and are typed, all of them', (t) => {
  const h = harness(run(loggedIn(), { type: 'overlay', overlay: 'help' }));
  h.key('hello');
  t.is(h.state.dialogs.overlay, 'none');
  t.is(h.state.compose.line.text, 'hello');
  const one = harness(run(loggedIn(), { type: 'overlay', overlay: 'help' }));
  for (const c of 'hello') one.key(c);
  t.is(one.state.compose.line.text, 'hello', 'typed one by one too');
});
