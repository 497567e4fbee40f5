/** The /commands and the paste draft, through the key routing, with the side effects written down. */
import test from 'ava';
import { COMMANDS, commandUsage } from '../../src/tui/commands.js';
import { harness } from './keyHarness.js';
import { arrive, loggedIn, msg, run } from './state/helpers.js';

const inConversation = () => run(loggedIn(), { type: 'query', name: 'alice', show: true });

test('defect 2: /msg alone, or with a name and no text, sends nothing and shows its usage', (t) => {
  for (const line of ['/msg', '/msg ', '/MSG', '/msg bob', '/msg bob   ']) {
    const h = harness(inConversation());
    h.key(line);
    h.key('\r');
    t.deepEqual(h.effects, [], line);
    t.regex(h.state.compose.error ?? '', /^usage: \/msg NAME TEXT/, line);
    t.is(h.state.compose.line.text, line, 'the line stays to be fixed');
  }
});

test('every command that needs an argument shows its usage without one and does nothing', (t) => {
  for (const c of COMMANDS.filter((c) => c.args && !c.args.startsWith('['))) {
    const h = harness(inConversation());
    h.key(`/${c.name}\r`);
    t.deepEqual(h.effects, [], c.name);
    t.is(h.state.compose.error, `usage: ${commandUsage(c)}: ${c.does}`, c.name);
  }
});

test('a line starting with / is never sent as text: an unknown command, a lone /, "/ x" all say so; // sends the /', (t) => {
  const h = harness(inConversation());
  for (const line of ['/frob it', '/', '/ hello']) {
    h.key('\x15' + line + '\r');
    t.deepEqual(h.effects, [], line);
    t.truthy(h.state.compose.error, line);
  }
  h.key('\x15//etc/hosts is a file\r');
  t.deepEqual(h.effects, ['send alice /etc/hosts is a file']);
});

test('/me sends an action to the conversation on screen; in the inbox it says where to use it', (t) => {
  const h = harness(inConversation());
  h.key('/me waves\r');
  t.deepEqual(h.effects, ['action alice waves']);
  t.true(h.state.convs.entries.at(-1)!.action);
  const inbox = harness(loggedIn());
  inbox.key('/me waves\r');
  t.deepEqual(inbox.effects, []);
  t.regex(inbox.state.compose.error ?? '', /inbox/);
});

test('defect 9: Alt-0 is window 10, /window N any window; a window that does not exist is said so', (t) => {
  const names = Array.from({ length: 11 }, (_, i) => `u${i}`);
  const h = harness(run(loggedIn(), ...names.map((name) => ({ type: 'query', name, show: false }) as const)));
  h.key('0', { meta: true });
  t.is(h.state.convs.view, 'u8');
  h.key('/window 12\r');
  t.is(h.state.convs.view, 'u10');
  h.key('/win 1\r');
  t.is(h.state.convs.view, null);
  h.key('/window 13\r');
  t.is(h.state.compose.error, 'no window 13: there are 12');
});

test('defect 12: Alt-A with nothing unread says so', (t) => {
  const h = harness(loggedIn());
  h.key('a', { meta: true });
  t.is(h.state.notice, 'no unread messages');
});

test('defect 1: quitting with messages the server has not accepted says how many and asks; /quit too', (t) => {
  const h = harness(run(inConversation(), { type: 'loggedIn', me: 'bob', undelivered: 0, resumed: true }));
  h.key('one\r');
  h.key('two\r');
  h.key('c', { ctrl: true });
  t.is(h.state.dialogs.overlay, 'quit');
  t.false(h.effects.includes('quit'));
  h.key('n');
  h.key('/quit\r');
  t.is(h.state.dialogs.overlay, 'quit');
  h.key('y');
  t.deepEqual(h.effects.filter((e) => e === 'quit'), ['quit']);
});

test('defect 3: a pasted three-line text is one draft; Enter sends nothing but asks: one message, one per line, or none', (t) => {
  const h = harness(inConversation());
  h.paste('first line\rsecond line\rthird line\r');
  t.is(h.state.compose.line.text, 'first line\nsecond line\nthird line');
  t.deepEqual(h.effects, [], 'the carriage returns of the paste sent nothing');
  h.key('\r');
  t.deepEqual(h.effects, []);
  t.is(h.state.dialogs.overlay, 'paste');
  t.deepEqual(h.state.dialogs.paste?.lines, ['first line', 'second line', 'third line']);
  h.key('', { escape: true });
  t.is(h.state.compose.line.text, 'first line\nsecond line\nthird line', 'Esc: back to the draft');
  h.key('\r');
  h.key('s');
  t.deepEqual(h.effects, ['send alice first line', 'send alice second line', 'send alice third line']);
  t.is(h.state.compose.line.text, '');
});

test('pasted lines sent as one message are joined with spaces; d cancels and sends nothing', (t) => {
  const h = harness(inConversation());
  h.paste('a\nb\n');
  h.key('\r');
  h.key('y');
  t.deepEqual(h.effects, ['send alice a b']);
  const d = harness(inConversation());
  d.key('keep ');
  d.paste('x\ny');
  d.key('\r');
  d.key('d');
  t.deepEqual(d.effects, []);
  t.is(d.state.compose.line.text, '');
});

test('a paste never answers a question: a pasted "y" at the quit question quits nothing', (t) => {
  const h = harness(inConversation());
  h.key('draft');
  h.key('c', { ctrl: true });
  h.paste('y');
  t.deepEqual(h.effects, []);
  t.is(h.state.dialogs.overlay, 'quit');
});

test('a paste into the login form is text for the field: a trailing line break neither submits nor lands in the password', (t) => {
  const h = harness(run(loggedIn(), { type: 'loggedOut', reason: 'x' }));
  h.paste('secret\n');
  t.is(h.state.login.password.text, 'secret');
  t.deepEqual(h.effects, []);
});

test('/export FILE writes the history; /names says who of the open conversations is online', (t) => {
  const h = harness(run(loggedIn(), arrive(msg(1, 'alice')), arrive(msg(2, 'carol')), { type: 'presence', online: ['alice'] }));
  h.key('/export ~/chat.log\r');
  t.deepEqual(h.effects, ['export ~/chat.log']);
  h.key('/names\r');
  t.is(h.state.notice, 'online: alice · offline: carol');
  h.ctx.dispatch({ type: 'conn', status: 'disconnected' });
  h.key('/names\r');
  t.regex(h.state.notice ?? '', /unknown while disconnected/);
});

test('/clear remembers, for the next start, up to which message it cleared', (t) => {
  const h = harness(run(loggedIn(), arrive(msg(3, 'alice'), msg(7, 'alice')), { type: 'view', view: 'alice' }));
  h.key('/clear\r');
  t.deepEqual(h.effects, ['clear alice 7']);
});
