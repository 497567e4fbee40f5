import test from 'ava';
import type { KeyContext, KeyLike } from '../../src/tui/keyContext.js';
import { NO_KEY as noKey, routeInput, routeKey } from '../../src/tui/routeKey.js';
import { initialState, reduce, type Action, type State } from '../../src/tui/state.js';


/** Feeds keys through routeKey against a live reducer, recording the side effects asked for. */
function harness(start: State) {
  let state = start;
  const calls: string[] = [];
  const ctx: KeyContext = {
    dispatch: (a: Action) => (state = reduce(state, a)),
    login: (u, p, r) => calls.push(`login ${u} ${p} ${r}`),
    send: (to, c) => calls.push(`send ${to} ${c}`),
    fetch: () => calls.push('fetch'),
    refreshUsers: () => calls.push('refresh'),
    deleteAccount: (p, c) => calls.push(`delete ${p} ${c}`),
    quit: () => calls.push('quit'),
  };
  const press = (input: string, key: Partial<KeyLike> = {}) => routeKey(state, input, { ...noKey, ...key }, ctx);
  const chunk = (input: string) => routeInput(() => state, input, noKey, ctx);
  return { press, chunk, calls, get state() { return state; } };
}

const main = () => reduce(initialState(), { type: 'loggedIn', me: 'bob', undelivered: 0 });

test('login: type, Tab, type, Enter logs in; Ctrl-R registers instead', (t) => {
  const h = harness(initialState());
  h.press('amy');
  h.press('', { tab: true });
  h.press('pw');
  h.press('', { return: true });
  t.deepEqual(h.calls, ['login amy pw false']);
  h.press('r', { ctrl: true });
  h.press('', { return: true });
  t.deepEqual(h.calls.at(-1), 'login amy pw true');
});

test('Enter on the username with no password moves to the password', (t) => {
  const h = harness(initialState());
  h.press('amy');
  h.press('', { return: true });
  t.is(h.state.login.field, 'password');
  t.deepEqual(h.calls, []);
});

test('q and ? are text in compose but commands elsewhere', (t) => {
  const h = harness(main());
  h.press('q');
  h.press('?');
  t.is(h.state.compose.line.text, 'q?');
  t.deepEqual(h.calls, []);
  h.press('', { tab: true }); // -> users
  h.press('?');
  t.is(h.state.overlay, 'help');
  h.press('q'); // any key closes help, and does nothing else
  t.is(h.state.overlay, 'none');
  t.deepEqual(h.calls, []);
  h.press('q');
  t.deepEqual(h.calls, ['quit']);
});

test('Tab and Shift-Tab cycle the panes; Esc leaves compose', (t) => {
  const h = harness(main());
  h.press('', { tab: true });
  t.is(h.state.focus, 'users');
  h.press('', { tab: true, shift: true });
  t.is(h.state.focus, 'compose');
  h.press('', { escape: true });
  t.is(h.state.focus, 'inbox');
});

test('Ctrl-C quits from anywhere, even while typing', (t) => {
  for (const s of [initialState(), main()]) {
    const h = harness(s);
    h.press('c', { ctrl: true });
    t.deepEqual(h.calls, ['quit']);
  }
});

test('f fetches outside text fields, Ctrl-F everywhere', (t) => {
  const h = harness(main());
  h.press('f');
  t.deepEqual(h.calls, []);
  h.press('f', { ctrl: true });
  t.deepEqual(h.calls, ['fetch']);
  h.press('', { escape: true });
  h.press('f');
  t.deepEqual(h.calls, ['fetch', 'fetch']);
});

test('compose: @name message sends; a missing recipient is an inline error', (t) => {
  const h = harness(main());
  h.press('hello');
  h.press('', { return: true });
  t.regex(h.state.compose.error ?? '', /recipient/);
  h.press('a', { ctrl: true });
  h.press('@amy ');
  h.press('', { return: true });
  t.deepEqual(h.calls, ['send amy hello']);
});

test('users pane: / edits the filter (q is text there), Enter applies, r refreshes', (t) => {
  const h = harness(main());
  h.press('', { tab: true });
  h.press('/');
  h.press('q');
  t.deepEqual(h.calls, []);
  h.press('', { return: true });
  t.is(h.state.users.pattern, 'q');
  h.press('r');
  t.deepEqual(h.calls, ['refresh']);
});

test('Ctrl-D opens the delete dialog; password, Enter, then y confirms', (t) => {
  const h = harness(main());
  h.press('d', { ctrl: true });
  t.is(h.state.overlay, 'delete');
  h.press('pw');
  h.press('', { return: true });
  t.deepEqual(h.calls, ['delete pw false']);
  // The session answers with the waiting count:
  const s = reduce(h.state, { type: 'deleteStep', step: 'confirm', waiting: 2 });
  const h2 = harness(s);
  h2.press('y');
  t.deepEqual(h2.calls, ['delete pw true']);
  const h3 = harness(s);
  h3.press('n');
  t.is(h3.state.overlay, 'none');
});

test('Ctrl-L asks for a redraw; inbox keys scroll', (t) => {
  const h = harness(reduce(main(), { type: 'messages', messages: [1, 2, 3].map((id) => ({ id, sender: 'a', flags: 0, sentAt: 0, content: 'x' })), live: false }));
  h.press('l', { ctrl: true });
  t.is(h.state.redraws, 1);
  h.press('', { escape: true });
  h.press('', { upArrow: true });
  t.is(h.state.inbox.scroll, 1);
  h.press('', { home: true });
  t.is(h.state.inbox.scroll, 2);
  h.press('', { end: true });
  t.is(h.state.inbox.scroll, 0);
});

test('keys typed ahead in one chunk are split at Tab and Enter: "bob<Tab>secret<Enter>" logs in', (t) => {
  const h = harness(initialState());
  h.chunk('bob\tsecret\r');
  t.deepEqual(h.calls, ['login bob secret false']);
});

test('a chunk without Tab or Enter stays one piece of text (a paste)', (t) => {
  const h = harness(main());
  t.is(h.state.focus, 'compose');
  h.chunk('hello there');
  t.is(h.state.compose.line.text, 'hello there');
});
