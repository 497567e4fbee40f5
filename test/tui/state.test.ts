import test from 'ava';
import { emptyLine } from '../../src/tui/lineEdit.js';
import {
  filterPattern,
  initialState,
  isTyping,
  parseCompose,
  reduce,
  totalUnread,
  type Action,
  type IncomingMessage,
  type State,
} from '../../src/tui/state.js';

const run = (s: State, ...actions: Action[]) => actions.reduce(reduce, s);
const msg = (id: number, sender = 'alice', content = `m${id}`, flags = 0): IncomingMessage => ({ id, sender, flags, sentAt: 0, content });
const typeText = (field: 'username' | 'password' | 'filter' | 'compose' | 'deletePassword', text: string): Action => ({
  type: 'edit',
  field,
  input: text,
  key: {},
});
const loggedIn = (me = 'bob') => run(initialState(), { type: 'conn', status: 'connected' }, { type: 'loggedIn', me, undelivered: 0 });

test('starts on the login screen, connecting, focus on compose', (t) => {
  const s = initialState('h:1', 'hello');
  t.is(s.screen, 'login');
  t.is(s.conn, 'connecting');
  t.is(s.server, 'h:1');
  t.is(s.notice, 'hello');
  t.is(s.focus, 'compose');
});

test('conn sets the status and keeps the last error unless one is given', (t) => {
  let s = run(initialState(), { type: 'conn', status: 'disconnected', error: 'lost' });
  t.is(s.conn, 'disconnected');
  t.is(s.error, 'lost');
  s = reduce(s, { type: 'conn', status: 'connecting' });
  t.is(s.error, 'lost');
  s = reduce(s, { type: 'conn', status: 'connected', error: null });
  t.is(s.error, null);
});

test('notice and error set the status bar lines', (t) => {
  const s = run(initialState(), { type: 'notice', text: 'n' }, { type: 'error', text: 'e' });
  t.is(s.notice, 'n');
  t.is(s.error, 'e');
});

test('login fields: typing, Tab switching, 16-byte username cap, error cleared by typing', (t) => {
  let s = run(initialState(), typeText('username', 'alice'), { type: 'loginField' }, typeText('password', 'pw'));
  t.is(s.login.username.text, 'alice');
  t.is(s.login.password.text, 'pw');
  t.is(s.login.field, 'password');
  s = run(s, { type: 'loginField' });
  t.is(s.login.field, 'username');
  s = run(s, typeText('username', 'x'.repeat(40)));
  t.is(s.login.username.text.length, 16);
  s = run(s, { type: 'loginFailed', error: 'bad' });
  t.is(s.login.error, 'bad');
  s = run(s, typeText('username', ''), { type: 'edit', field: 'username', input: '', key: { delete: true } });
  t.is(s.login.error, null);
});

test('toggleRegister switches between log in and register', (t) => {
  let s = reduce(initialState(), { type: 'toggleRegister' });
  t.is(s.login.mode, 'register');
  s = reduce(s, { type: 'toggleRegister' });
  t.is(s.login.mode, 'login');
});

test('loginStarted / loginFailed show progress and the server error', (t) => {
  let s = reduce(initialState(), { type: 'loginStarted' });
  t.true(s.login.busy);
  s = reduce(s, { type: 'loginFailed', error: 'wrong username or password' });
  t.false(s.login.busy);
  t.is(s.login.error, 'wrong username or password');
});

test('loggedIn enters the main screen with the waiting count and forgets the password', (t) => {
  const s = run(initialState(), typeText('password', 'pw'), { type: 'loggedIn', me: 'bob', undelivered: 3 });
  t.is(s.screen, 'main');
  t.is(s.me, 'bob');
  t.is(s.waiting, 3);
  t.is(s.login.password.text, '');
});

test('a resumed login (after reconnect) keeps inbox and typed text', (t) => {
  let s = run(loggedIn(), { type: 'messages', messages: [msg(1)], live: true }, typeText('compose', 'half typed'));
  s = run(s, { type: 'conn', status: 'disconnected' }, { type: 'conn', status: 'connected' }, { type: 'loggedIn', me: 'bob', undelivered: 2, resumed: true });
  t.is(s.inbox.entries.length, 1);
  t.is(s.compose.line.text, 'half typed');
  t.is(s.waiting, 2);
});

test('a fresh login as someone else starts with an empty inbox', (t) => {
  let s = run(loggedIn('bob'), { type: 'messages', messages: [msg(1)], live: true });
  s = run(s, { type: 'loggedOut', reason: 'x' }, { type: 'loggedIn', me: 'carol', undelivered: 0 });
  t.is(s.inbox.entries.length, 0);
  t.deepEqual(s.unread, {});
});

test('loggedOut (logged in elsewhere) returns to login with the reason', (t) => {
  const s = run(loggedIn(), { type: 'overlay', overlay: 'help' }, { type: 'loggedOut', reason: 'Logged in elsewhere' });
  t.is(s.screen, 'login');
  t.is(s.overlay, 'none');
  t.is(s.login.error, 'Logged in elsewhere');
  t.is(s.login.field, 'password');
});

test('messages append in order, drop redeliveries, count unread per sender, mark deleted senders', (t) => {
  let s = run(loggedIn(), { type: 'messages', messages: [msg(1), msg(2, 'carol'), msg(3, 'gone', 'x', 1)], live: false });
  s = reduce(s, { type: 'messages', messages: [msg(2, 'carol'), msg(4)], live: true });
  t.deepEqual(
    s.inbox.entries.map((e) => e.key),
    ['m1', 'm2', 'm3', 'm4'],
  );
  t.deepEqual(s.unread, { alice: 2, carol: 1, gone: 1 });
  t.is(totalUnread(s), 4);
  t.true(s.inbox.entries[2]!.senderDeleted);
  const same = reduce(s, { type: 'messages', messages: [msg(4)], live: true });
  t.is(same, s);
});

test('messages from the current recipient are not counted unread', (t) => {
  let s = run(loggedIn(), { type: 'usersLoaded', total: 1, names: ['alice'] }, { type: 'chooseUser' });
  s = reduce(s, { type: 'messages', messages: [msg(1)], live: true });
  t.deepEqual(s.unread, {});
});

test('scrolled back, new messages keep the view and count as new below', (t) => {
  const many = Array.from({ length: 20 }, (_, i) => msg(i + 1));
  let s = run(loggedIn(), { type: 'messages', messages: many, live: false }, { type: 'scroll', delta: -5 });
  t.is(s.inbox.scroll, 5);
  s = reduce(s, { type: 'messages', messages: [msg(21), msg(22)], live: true });
  t.is(s.inbox.scroll, 7);
  t.is(s.inbox.newBelow, 2);
  s = reduce(s, { type: 'scrollTo', where: 'bottom' });
  t.is(s.inbox.scroll, 0);
  t.is(s.inbox.newBelow, 0);
});

test('scroll is clamped to the inbox; scrollTo top shows the oldest', (t) => {
  let s = run(loggedIn(), { type: 'messages', messages: [msg(1), msg(2), msg(3)], live: false });
  s = reduce(s, { type: 'scroll', delta: 10 });
  t.is(s.inbox.scroll, 0);
  s = reduce(s, { type: 'scroll', delta: -100 });
  t.is(s.inbox.scroll, 2);
  s = reduce(s, { type: 'scrollTo', where: 'bottom' });
  s = reduce(s, { type: 'scrollTo', where: 'top' });
  t.is(s.inbox.scroll, 2);
});

test('at the bottom, new messages keep following', (t) => {
  const s = run(loggedIn(), { type: 'messages', messages: [msg(1)], live: false }, { type: 'messages', messages: [msg(2)], live: true });
  t.is(s.inbox.scroll, 0);
  t.is(s.inbox.newBelow, 0);
});

test('fetching and waiting track the fetch loop', (t) => {
  let s = run(loggedIn(), { type: 'waiting', count: 5 }, { type: 'fetching', on: true });
  t.is(s.waiting, 5);
  t.true(s.fetching);
  s = run(s, { type: 'waiting', count: -1 }, { type: 'fetching', on: false });
  t.is(s.waiting, 0);
  t.false(s.fetching);
});

test('focus and focusNext cycle the three panes both ways and stop filter editing', (t) => {
  let s = reduce(loggedIn(), { type: 'focus', pane: 'users' });
  t.is(s.focus, 'users');
  s = reduce(s, { type: 'filterEdit', on: true });
  s = reduce(s, { type: 'focusNext', dir: 1 });
  t.is(s.focus, 'inbox');
  t.false(s.users.editingFilter);
  s = reduce(s, { type: 'focusNext', dir: 1 });
  t.is(s.focus, 'compose');
  s = reduce(s, { type: 'focusNext', dir: 1 });
  t.is(s.focus, 'users');
  s = reduce(s, { type: 'focusNext', dir: -1 });
  t.is(s.focus, 'compose');
});

test('overlay opens help and the delete dialog (fresh each time)', (t) => {
  let s = reduce(loggedIn(), { type: 'overlay', overlay: 'help' });
  t.is(s.overlay, 'help');
  s = run(s, { type: 'overlay', overlay: 'delete' }, typeText('deletePassword', 'pw'), { type: 'overlay', overlay: 'none' });
  s = reduce(s, { type: 'overlay', overlay: 'delete' });
  t.is(s.del.password.text, '');
  t.is(s.del.step, 'password');
});

test('isTyping: login, compose, filter editing and the delete dialog take letters', (t) => {
  t.true(isTyping(initialState()));
  let s = loggedIn();
  t.true(isTyping(s));
  s = reduce(s, { type: 'focus', pane: 'inbox' });
  t.false(isTyping(s));
  s = run(s, { type: 'focus', pane: 'users' }, { type: 'filterEdit', on: true });
  t.true(isTyping(s));
  s = run(s, { type: 'filterEdit', on: false }, { type: 'overlay', overlay: 'delete' });
  t.true(isTyping(s));
});

test('users: loaded page, selection moves and turns pages at the edges', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 2, inboxPageSize: 10 }, { type: 'usersLoaded', total: 5, names: ['a', 'b'] });
  t.is(s.users.total, 5);
  s = reduce(s, { type: 'userMove', delta: 1 });
  t.is(s.users.selected, 1);
  s = reduce(s, { type: 'userMove', delta: 1 });
  t.is(s.users.page, 1);
  t.is(s.users.selected, 0);
  s = reduce(s, { type: 'usersLoaded', total: 5, names: ['c', 'd'] });
  s = reduce(s, { type: 'userMove', delta: -1 });
  t.is(s.users.page, 0);
  t.is(s.users.selected, 1);
  s = reduce(s, { type: 'userMove', delta: -5 });
  t.is(s.users.selected, 0, 'clamps at the first user');
});

test('usersPage pages forward and back within the total', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 2, inboxPageSize: 10 }, { type: 'usersLoaded', total: 5, names: ['a', 'b'] });
  s = run(s, { type: 'usersPage', delta: 1 }, { type: 'usersPage', delta: 1 });
  t.is(s.users.page, 2);
  t.is(reduce(s, { type: 'usersPage', delta: 1 }), s);
  s = reduce(s, { type: 'usersPage', delta: -5 });
  t.is(s.users.page, 0);
});

test('usersLoaded with fewer accounts pulls the page and selection back', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 2, inboxPageSize: 10 }, { type: 'usersLoaded', total: 6, names: ['a', 'b'] });
  s = run(s, { type: 'usersPage', delta: 2 }, { type: 'userMove', delta: 1 });
  s = reduce(s, { type: 'usersLoaded', total: 1, names: ['a'] });
  t.is(s.users.page, 0);
  t.is(s.users.selected, 0);
});

test('filter: edit, commit resets the page, cancel restores the committed filter', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 2, inboxPageSize: 10 }, { type: 'usersLoaded', total: 6, names: ['a', 'b'] }, { type: 'usersPage', delta: 1 });
  s = run(s, { type: 'filterEdit', on: true }, typeText('filter', 'al'), { type: 'filterCommit' });
  t.is(s.users.pattern, 'al');
  t.is(s.users.page, 0);
  t.false(s.users.editingFilter);
  s = run(s, { type: 'filterEdit', on: true }, typeText('filter', 'xyz'), { type: 'filterEdit', on: false });
  t.is(s.users.filter.text, 'al');
  t.is(s.users.pattern, 'al');
});

test('filterPattern: plain text matches anywhere, wildcards pass through', (t) => {
  t.is(filterPattern(''), '*');
  t.is(filterPattern('al'), '*al*');
  t.is(filterPattern('a?c*'), 'a?c*');
});

test('chooseUser makes the selection the recipient, focuses compose and clears its unread', (t) => {
  let s = run(loggedIn(), { type: 'messages', messages: [msg(1, 'alice'), msg(2, 'carol')], live: true });
  s = run(s, { type: 'usersLoaded', total: 2, names: ['alice', 'carol'] }, { type: 'focus', pane: 'users' }, { type: 'chooseUser' });
  t.is(s.compose.to, 'alice');
  t.is(s.focus, 'compose');
  t.deepEqual(s.unread, { carol: 1 });
  const empty = run(loggedIn(), { type: 'chooseUser' });
  t.is(empty.compose.to, null);
});

test('layout sets page sizes and keeps the first visible user on screen', (t) => {
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 10, inboxPageSize: 10 }, { type: 'usersLoaded', total: 100, names: [] });
  s = run(s, { type: 'usersPage', delta: 3 });
  s = reduce(s, { type: 'layout', usersPageSize: 20, inboxPageSize: 5 });
  t.is(s.users.pageSize, 20);
  t.is(s.users.page, 1);
  t.is(s.inbox.pageSize, 5);
  t.is(reduce(s, { type: 'layout', usersPageSize: 20, inboxPageSize: 5 }), s);
});

test('parseCompose: @name picks the recipient, else the chosen one; empty and missing recipient are errors', (t) => {
  t.deepEqual(parseCompose('@bob hi there', null), { recipient: 'bob', content: 'hi there' });
  t.deepEqual(parseCompose('hi', 'carol'), { recipient: 'carol', content: 'hi' });
  t.deepEqual(parseCompose('@bob hi', 'carol'), { recipient: 'bob', content: 'hi' });
  t.true('error' in parseCompose('   ', 'carol'));
  t.true('error' in parseCompose('hi', null));
  t.true('error' in parseCompose('@bob', null));
});

test('compose editing clears the inline error and leaves history browsing', (t) => {
  let s = run(loggedIn(), { type: 'composeError', text: 'oops' });
  t.is(s.compose.error, 'oops');
  s = reduce(s, typeText('compose', 'a'));
  t.is(s.compose.error, null);
  t.is(s.compose.line.text, 'a');
});

test('sendStarted empties the line, records history, shows the message as sending; accepted marks it sent', (t) => {
  let s = run(loggedIn(), typeText('compose', '@alice hi'), { type: 'sendStarted', clientId: 7, recipient: 'alice', content: 'hi', at: 5 });
  t.is(s.compose.line.text, '');
  t.is(s.compose.to, 'alice');
  t.deepEqual(s.compose.history, ['@alice hi']);
  const e = s.inbox.entries.at(-1)!;
  t.like(e, { key: 'c7', sender: 'bob', recipient: 'alice', content: 'hi', status: 'sending', sentAt: 5 });
  s = reduce(s, { type: 'sendAccepted', clientId: 7 });
  t.is(s.inbox.entries.at(-1)!.status, 'sent');
});

test('sendFailed removes the message, shows the error inline and gives the text back', (t) => {
  let s = run(loggedIn(), typeText('compose', '@nobody hi'), { type: 'sendStarted', clientId: 1, recipient: 'nobody', content: 'hi', at: 0 });
  s = reduce(s, { type: 'sendFailed', clientId: 1, error: 'no such user' });
  t.is(s.inbox.entries.length, 0);
  t.is(s.compose.error, 'no such user');
  t.is(s.compose.line.text, '@nobody hi');
  // Text typed meanwhile is not overwritten.
  s = run(s, { type: 'edit', field: 'compose', input: 'u', key: { ctrl: true } }, typeText('compose', 'new'));
  s = run(s, { type: 'sendStarted', clientId: 2, recipient: 'x', content: 'y', at: 0 }, typeText('compose', 'other'), { type: 'sendFailed', clientId: 2, error: 'e' });
  t.is(s.compose.line.text, 'other');
});

test('history: Up walks back, Down walks forward to the draft', (t) => {
  let s = loggedIn();
  t.is(reduce(s, { type: 'history', dir: -1 }), s, 'no history: nothing happens');
  for (const [i, text] of ['one', 'two'].entries()) {
    s = run(s, typeText('compose', text), { type: 'sendStarted', clientId: i, recipient: 'a', content: text, at: 0 });
  }
  s = reduce(s, typeText('compose', 'draft'));
  s = reduce(s, { type: 'history', dir: -1 });
  t.is(s.compose.line.text, 'two');
  s = reduce(s, { type: 'history', dir: -1 });
  t.is(s.compose.line.text, 'one');
  t.is(reduce(s, { type: 'history', dir: -1 }), s);
  s = reduce(s, { type: 'history', dir: 1 });
  t.is(s.compose.line.text, 'two');
  s = reduce(s, { type: 'history', dir: 1 });
  t.is(s.compose.line.text, 'draft');
  t.is(s.compose.historyIndex, null);
});

test('delete dialog steps: busy, confirm with the waiting count, failure resets the password', (t) => {
  let s = run(loggedIn(), { type: 'overlay', overlay: 'delete' }, typeText('deletePassword', 'pw'), { type: 'deleteStep', step: 'busy' });
  t.is(s.del.step, 'busy');
  s = reduce(s, { type: 'deleteStep', step: 'confirm', waiting: 4 });
  t.is(s.del.waiting, 4);
  t.is(s.del.password.text, 'pw');
  s = reduce(s, { type: 'deleteFailed', error: 'wrong password' });
  t.is(s.del.step, 'password');
  t.is(s.del.error, 'wrong password');
  t.deepEqual(s.del.password, emptyLine);
});

test('accountDeleted goes back to login with a notice and nothing of the old account', (t) => {
  const s = run(loggedIn(), { type: 'messages', messages: [msg(1)], live: true }, { type: 'accountDeleted' });
  t.is(s.screen, 'login');
  t.is(s.me, null);
  t.is(s.conn, 'connected');
  t.is(s.inbox.entries.length, 0);
  t.regex(s.notice ?? '', /deleted/);
});

test('redraw bumps the repaint counter', (t) => {
  t.is(reduce(initialState(), { type: 'redraw' }).redraws, 1);
});

test('the reducer never mutates its input', (t) => {
  const s = loggedIn();
  const snapshot = JSON.stringify({ ...s, seen: [...s.seen] });
  run(s, { type: 'messages', messages: [msg(1)], live: true }, typeText('compose', 'x'), { type: 'focusNext', dir: 1 });
  t.is(JSON.stringify({ ...s, seen: [...s.seen] }), snapshot);

});

test('scrollPage moves by the messages that fit the view, clamped', (t) => {
  const many = Array.from({ length: 50 }, (_, i) => msg(i + 1));
  let s = run(loggedIn(), { type: 'layout', usersPageSize: 5, inboxPageSize: 10, inboxWidth: 80 }, { type: 'messages', messages: many, live: false });
  s = reduce(s, { type: 'scrollPage', dir: -1 });
  t.is(s.inbox.scroll, 9, 'one message of overlap');
  s = reduce(s, { type: 'scrollPage', dir: 1 });
  t.is(s.inbox.scroll, 0);
  s = run(s, { type: 'scrollPage', dir: -1 }, { type: 'scrollPage', dir: -1 }, { type: 'scrollPage', dir: -1 }, { type: 'scrollPage', dir: -1 }, { type: 'scrollPage', dir: -1 }, { type: 'scrollPage', dir: -1 });
  t.is(s.inbox.scroll, 49);
});
