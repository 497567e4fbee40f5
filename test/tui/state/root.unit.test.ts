import test from 'ava';
import { initialState } from '../../../src/tui/state/index.js';
import { arrive, loggedIn, msg, run, typed } from './helpers.js';

test('defect 9: a failed /msg does not become anyone\'s recipient; the text comes back to fix', (t) => {
  let s = run(loggedIn(), typed('/msg nosuchuser hello?'));
  s = run(s, { type: 'sendStarted', clientId: 3, recipient: 'nosuchuser', text: 'hello?', at: 0, fromCompose: true });
  s = run(s, { type: 'sendFailed', clientId: 3, error: 'no user named nosuchuser' });
  t.is(s.convs.view, null);
  t.false(s.convs.open.includes('nosuchuser'));
  t.is(s.compose.line.text, '/msg nosuchuser hello?');
  t.is(s.compose.error, 'no user named nosuchuser');
  t.is(s.convs.entries.length, 0);
});

test('defect 9/13: another account logging in starts clean: no draft, views, messages or notice of the last one', (t) => {
  let s = run(loggedIn('alice'), { type: 'query', name: 'carol', show: true }, typed('half'), arrive(msg(1, 'carol')));
  s = run(s, { type: 'notice', text: 'reconnected' }, { type: 'loggedOut', reason: 'Logged in elsewhere' });
  s = run(s, { type: 'loggedIn', me: 'bob', undelivered: 0 });
  t.is(s.compose.line.text, '');
  t.is(s.convs.view, null);
  t.is(s.convs.entries.length, 0);
  t.is(s.notice, null);
});

test('the same person logging in again keeps the draft', (t) => {
  let s = run(loggedIn('alice'), typed('half written'), { type: 'loggedOut', reason: 'x' });
  s = run(s, { type: 'loggedIn', me: 'alice', undelivered: 0 });
  t.is(s.compose.line.text, 'half written');
});

test('defect 13: after a takeover the login screen shows no stale notice and nothing unread', (t) => {
  let s = run(loggedIn('alice'), { type: 'view', view: 'x' }, arrive(msg(1, 'carol')), { type: 'notice', text: 'reconnected' });
  s = run(s, { type: 'loggedOut', reason: 'Logged in elsewhere' });
  t.is(s.screen, 'login');
  t.is(s.notice, null);
  t.regex(s.login.error ?? '', /elsewhere/);
});

test('defect 13: an old error goes once a later request succeeds', (t) => {
  let s = run(loggedIn(), { type: 'error', text: 'fetch failed: boom' });
  s = run(s, { type: 'usersLoaded', total: 0, names: [] });
  t.is(s.error, null);
});

test("defect 13: 'account deleted' does not carry into the next user's session", (t) => {
  let s = run(loggedIn('user002'), { type: 'accountDeleted', name: 'user002' });
  t.regex(s.login.info ?? '', /Account user002 deleted/, 'the login screen says so');
  t.is(s.notice, 'account user002 deleted');
  t.is(s.screen, 'login');
  s = run(s, { type: 'loggedIn', me: 'user003', undelivered: 0 });
  t.is(s.notice, null);
});

test('a reconnect (resumed login) keeps everything on screen', (t) => {
  let s = run(loggedIn(), arrive(msg(1)), { type: 'query', name: 'alice', show: true }, typed('x'));
  s = run(s, { type: 'conn', status: 'disconnected' }, { type: 'conn', status: 'connected' }, { type: 'loggedIn', me: 'bob', undelivered: 2, resumed: true });
  t.is(s.convs.entries.length, 1);
  t.is(s.convs.view, 'alice');
  t.is(s.compose.line.text, 'x');
  t.is(s.waiting, 2);
});

test('starts on the login screen, connecting', (t) => {
  const s = initialState('h:1', 'hello');
  t.is(s.screen, 'login');
  t.is(s.conn, 'connecting');
  t.is(s.notice, 'hello');
});
