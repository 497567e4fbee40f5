import test from 'ava';
import { Command, KEYMAP, type Scope } from '../../src/tui/keys/keymap.js';
import { pressed } from '../../src/tui/keys/match.js';
import { bindingFor, scopesFor } from '../../src/tui/keys/route.js';
import { NO_KEY, type KeyLike } from '../../src/tui/keys/tokens.js';
import { initialState, type State } from '../../src/tui/state/index.js';
import { harness } from './keyHarness.js';
import { loggedIn, run } from './state/helpers.js';

/** A state in which `scope` is active. */
const STATES: Record<Scope, () => State> = {
  main: () => loggedIn(),
  line: () => loggedIn(),
  messages: () => run(loggedIn(), { type: 'focus', pane: 'messages' }),
  users: () => run(loggedIn(), { type: 'focus', pane: 'users' }),
  login: () => initialState(),
  help: () => run(loggedIn(), { type: 'overlay', overlay: 'help' }),
  quit: () => run(loggedIn(), { type: 'overlay', overlay: 'quit' }),
  split: () => run(loggedIn(), { type: 'offerSplit', recipient: 'alice', parts: ['a', 'b'] }),
  paste: () => run(loggedIn(), { type: 'offerPaste', recipient: 'alice', lines: ['a', 'b'] }),
  deletePassword: () => run(loggedIn(), { type: 'overlay', overlay: 'delete' }),
  deleteConfirm: () => run(loggedIn(), { type: 'overlay', overlay: 'delete' }, { type: 'deleteStep', step: 'confirm', waiting: 2 }),
};

const FLAGS: Record<string, keyof KeyLike> = {
  up: 'upArrow',
  down: 'downArrow',
  left: 'leftArrow',
  right: 'rightArrow',
  pageup: 'pageUp',
  pagedown: 'pageDown',
  home: 'home',
  end: 'end',
  enter: 'return',
  escape: 'escape',
  tab: 'tab',
  backspace: 'backspace',
};

/** The ink key event for a key as the keymap writes it (what a terminal would give). */
function event(spec: string): [string, KeyLike] {
  if (spec === 'text') return ['hello', NO_KEY];
  if (spec === 'any') return ['', { ...NO_KEY, return: true }];
  const parts = spec.split('+');
  const name = parts.pop()!;
  const key: KeyLike = { ...NO_KEY, ctrl: parts.includes('ctrl'), meta: parts.includes('alt'), shift: parts.includes('shift') };
  const flag = FLAGS[name];
  if (flag) return ['', { ...key, [flag]: true, meta: name === 'escape' }];
  return [name.includes('…') ? name[0]! : name, key];
}

test('every key in the help does what the help says: each binding is what routing picks in its scope', (t) => {
  for (const { scope, bindings } of KEYMAP) {
    const s = STATES[scope]();
    t.is(scopesFor(s).includes(scope), true, scope);
    for (const b of bindings) {
      for (const k of b.keys) {
        const [input, key] = event(k.spec);
        t.is(bindingFor(s, pressed(input, key))?.command, b.command, `${scope}: ${k.label}`);
      }
    }
  }
});

test('a character key answers in either case; a named key only with exactly its modifiers', (t) => {
  const s = STATES.quit();
  t.is(bindingFor(s, pressed('Y', { ...NO_KEY, shift: true }))?.command, Command.QuitYes);
  const main = loggedIn();
  t.is(bindingFor(main, pressed('', { ...NO_KEY, tab: true }))?.command, Command.Complete);
  t.is(bindingFor(main, pressed('', { ...NO_KEY, tab: true, shift: true }))?.command, Command.PreviousPane);
  t.is(bindingFor(main, pressed('H', { ...NO_KEY, meta: true, shift: true }))?.command, Command.Help);
  t.is(bindingFor(main, pressed('x', { ...NO_KEY, meta: true })), undefined, 'an unbound Alt key is not typed');
  t.is(bindingFor(main, pressed('b', { ...NO_KEY, ctrl: true })), undefined, 'an unbound Ctrl key is not typed');
});

test('login: Enter on the name goes to the password, Ctrl-R switches to register, Enter registers', (t) => {
  const h = harness(initialState());
  h.key('bob');
  h.key('', { return: true });
  t.is(h.state.login.field, 'password');
  h.key('pw');
  h.key('r', { ctrl: true });
  t.is(h.state.login.mode, 'register');
  h.key('', { return: true });
  t.deepEqual(h.effects, ['register bob pw']);
});

test('login: while busy keys wait, except Ctrl-C, which quits', (t) => {
  const h = harness(run(initialState(), { type: 'loginStarted' }));
  h.key('abc');
  h.key('', { tab: true });
  h.key('', { return: true });
  t.is(h.state.login.username.text, '');
  t.is(h.state.login.field, 'username');
  t.deepEqual(h.effects, []);
  h.key('c', { ctrl: true });
  t.deepEqual(h.effects, ['quit']);
});

test('login: Shift-Tab and the arrows switch field as Tab does', (t) => {
  const h = harness(initialState());
  h.key('', { tab: true, shift: true });
  t.is(h.state.login.field, 'password');
  h.key('', { upArrow: true });
  t.is(h.state.login.field, 'username');
});

test('delete dialog: y and n in the password are typed; Enter asks the server; then y confirms and n cancels', (t) => {
  const h = harness(run(loggedIn(), { type: 'overlay', overlay: 'delete' }));
  h.key('', { return: true });
  t.regex(h.state.dialogs.del.error ?? '', /password/);
  h.key('yn');
  h.key('', { return: true });
  t.deepEqual(h.effects, ['delete yn false']);
  h.key('x', { ctrl: true });
  t.is(h.state.dialogs.del.password.text, 'yn');
  const confirm = harness(run(h.state, { type: 'deleteStep', step: 'confirm', waiting: 3 }));
  confirm.key('y');
  t.deepEqual(confirm.effects, ['delete yn true']);
  confirm.key('n');
  t.is(confirm.state.dialogs.overlay, 'none');
});

test('delete dialog: while the server works no key acts; Esc cancels before', (t) => {
  const busy = harness(run(loggedIn(), { type: 'overlay', overlay: 'delete' }, { type: 'deleteStep', step: 'busy' }));
  busy.key('', { escape: true });
  busy.key('c', { ctrl: true });
  t.is(busy.state.dialogs.overlay, 'delete');
  t.deepEqual(busy.effects, []);
  const h = harness(run(loggedIn(), { type: 'overlay', overlay: 'delete' }));
  h.key('', { escape: true });
  t.is(h.state.dialogs.overlay, 'none');
});

test('quit question: Ctrl-C again quits; Esc goes back with the draft kept', (t) => {
  const h = harness(loggedIn());
  h.key('draft');
  h.key('c', { ctrl: true });
  h.key('', { escape: true });
  t.is(h.state.dialogs.overlay, 'none');
  t.is(h.state.compose.line.text, 'draft');
  h.key('c', { ctrl: true });
  h.key('c', { ctrl: true });
  t.deepEqual(h.effects, ['quit']);
});

test('Ctrl-C on a line that is /quit quits without asking', (t) => {
  const h = harness(loggedIn());
  h.key('/quit');
  h.key('c', { ctrl: true });
  t.deepEqual(h.effects, ['quit']);
});

test('editing keys in another pane bring the focus back to the line and edit it', (t) => {
  const h = harness(run(loggedIn(), { type: 'focus', pane: 'users' }));
  h.key('hello world');
  h.key('', { escape: true });
  h.key('', { tab: true, shift: true });
  t.is(h.state.focus, 'users');
  h.key('w', { ctrl: true });
  t.is(h.state.focus, 'compose');
  t.is(h.state.compose.line.text, 'hello ');
  h.key('', { home: true });
  h.key('> ');
  t.is(h.state.compose.line.text, '> hello ');
});

test('in the messages pane Home and End scroll; in the line they move the cursor', (t) => {
  const h = harness(run(loggedIn(), { type: 'focus', pane: 'messages' }));
  h.key('', { home: true });
  t.is(h.state.focus, 'messages');
  h.key('ab');
  h.key('', { home: true });
  t.is(h.state.compose.line.cursor, 0);
});
