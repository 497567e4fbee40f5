/** What each command of the keymap does: actions for the reducer, and side effects through the KeyContext. */
import { requestQuit, submit } from '../commands.js';
import { completionNames, nameBeforeCursor } from '../completion.js';
import type { LineOp } from '../lineEdit.js';
import { splitMessage } from '../text/split.js';
import { CONTENT_MAX, wireBytes } from '../text/unicode.js';
import type { Field, State } from '../state/index.js';
import type { KeyContext } from './context.js';
import { Command } from './keymap.js';

/** `input`: the text of the key (the typed text, the digit of Alt-1…9). */
export type Handler = (s: State, ctx: KeyContext, input: string) => void;

/** The line the editing keys act on in this state, or null when none takes keys now. */
export function editedField(s: State): Field | null {
  if (s.screen === 'login') return s.login.busy ? null : s.login.field;
  if (s.dialogs.overlay === 'delete') return 'deletePassword';
  return s.dialogs.overlay === 'none' ? 'compose' : null;
}

/** An editing key: on the main screen it also brings the focus back to the message line. */
const edit =
  (op: (input: string) => LineOp): Handler =>
  (s, ctx, input) => {
    const field = editedField(s);
    if (field === null) return;
    if (field === 'compose' && s.focus !== 'compose') ctx.dispatch({ type: 'focus', pane: 'compose' });
    ctx.dispatch({ type: 'edit', field, op: op(input) });
  };

function focusStep(s: State, ctx: KeyContext, dir: 1 | -1): void {
  ctx.dispatch({ type: 'focusNext', dir });
  // A hidden users pane (narrow window) cannot take the focus: step over it.
  if (!ctx.usersShown && ((dir === 1 && s.focus === 'messages') || (dir === -1 && s.focus === 'compose'))) {
    ctx.dispatch({ type: 'focusNext', dir });
  }
}

/**
 * Tab: complete the name before the cursor (from the names known here and every account, or
 * #group, starting with it, which the server is asked for), or go on to the next match of the last
 * Tab; with nothing to complete, the next pane.
 */
function completeOrNextPane(s: State, ctx: KeyContext): void {
  const { completion, line } = s.compose;
  if (s.focus === 'compose' && completion && completion.matches.length > 1) return ctx.dispatch({ type: 'complete', names: [] });
  const word = s.focus === 'compose' ? nameBeforeCursor(line) : '';
  if (word === '') return focusStep(s, ctx, 1);
  const local = completionNames(s);
  // The server is asked for the accounts (or, for a #word, the groups) starting with the word.
  if (s.conn !== 'connected') return ctx.dispatch({ type: 'complete', names: local, at: line });
  void ctx.namesStartingWith(word).then(
    ({ names, total }) => ctx.dispatch({ type: 'complete', names: [...local, ...names], at: line, more: Math.max(0, total - names.length) }),
    () => ctx.dispatch({ type: 'complete', names: local, at: line }),
  );
}

/** Sends pasted lines: joined as one message (offering to split it when too long), or one per line. */
function sendPasted(s: State, ctx: KeyContext, perLine: boolean): void {
  const p = s.dialogs.paste;
  if (!p) return;
  const lines = p.lines.map((l) => l.trim()).filter((l) => l !== '');
  const joined = lines.join(' ');
  if (!perLine && wireBytes(joined) > CONTENT_MAX) return ctx.dispatch({ type: 'offerSplit', recipient: p.recipient, parts: splitMessage(joined), action: p.action });
  ctx.dispatch({ type: 'overlay', overlay: 'none' });
  const parts = perLine ? lines.flatMap((l) => (wireBytes(l) > CONTENT_MAX ? splitMessage(l) : [l])) : [joined];
  parts.forEach((part, i) => ctx.send(p.recipient, part, i === 0, p.action));
}

const closeOverlay: Handler = (_s, ctx) => ctx.dispatch({ type: 'overlay', overlay: 'none' });

const loginIdle =
  (h: Handler): Handler =>
  (s, ctx, input) => {
    if (!s.login.busy) h(s, ctx, input);
  };

export const HANDLERS: Readonly<Record<Command, Handler>> = {
  [Command.Send]: (s, ctx) => submit(s, ctx),
  [Command.Complete]: completeOrNextPane,
  [Command.PreviousPane]: (s, ctx) => focusStep(s, ctx, -1),
  [Command.Back]: (s, ctx) => {
    if (s.convs.search) return ctx.dispatch({ type: 'searchClose' });
    if (s.compose.error) ctx.dispatch({ type: 'composeError', text: null });
    ctx.dispatch({ type: 'focus', pane: 'compose' });
  },
  [Command.NextWindow]: (_s, ctx) => ctx.dispatch({ type: 'viewNext', dir: 1 }),
  [Command.PreviousWindow]: (_s, ctx) => ctx.dispatch({ type: 'viewNext', dir: -1 }),
  [Command.NextUnread]: (s, ctx) => {
    if (Object.values(s.convs.unread).some((n) => n > 0)) return ctx.dispatch({ type: 'viewNextUnread' });
    ctx.dispatch({ type: 'notice', text: 'no unread messages', transient: true });
  },
  [Command.Window]: (_s, ctx, input) => ctx.dispatch({ type: 'viewNumber', n: input === '0' ? 10 : Number(input) }),
  [Command.PageUp]: (_s, ctx) => ctx.dispatch({ type: 'scrollPage', dir: -1 }),
  [Command.PageDown]: (_s, ctx) => ctx.dispatch({ type: 'scrollPage', dir: 1 }),
  [Command.Fetch]: (_s, ctx) => ctx.fetch(),
  [Command.Help]: (_s, ctx) => ctx.dispatch({ type: 'overlay', overlay: 'help' }),
  [Command.Redraw]: (_s, ctx) => ctx.redraw(),
  [Command.Quit]: requestQuit,

  [Command.Type]: edit((input) => ({ insert: input })),
  [Command.HistoryPrevious]: (s, ctx) => {
    if (editedField(s) === 'compose') ctx.dispatch({ type: 'history', dir: -1 });
  },
  [Command.HistoryNext]: (s, ctx) => {
    if (editedField(s) === 'compose') ctx.dispatch({ type: 'history', dir: 1 });
  },
  [Command.CursorLeft]: edit(() => 'left'),
  [Command.CursorRight]: edit(() => 'right'),
  [Command.LineStart]: edit(() => 'start'),
  [Command.LineEnd]: edit(() => 'end'),
  [Command.Backspace]: edit(() => 'backspace'),
  [Command.KillToStart]: edit(() => 'killToStart'),
  [Command.KillToEnd]: edit(() => 'killToEnd'),
  [Command.KillWord]: edit(() => 'killWord'),

  [Command.ScrollUp]: (_s, ctx) => ctx.dispatch({ type: 'scroll', lines: -1 }),
  [Command.ScrollDown]: (_s, ctx) => ctx.dispatch({ type: 'scroll', lines: 1 }),
  [Command.ScrollTop]: (_s, ctx) => ctx.dispatch({ type: 'scrollTo', where: 'top' }),
  [Command.ScrollBottom]: (_s, ctx) => ctx.dispatch({ type: 'scrollTo', where: 'bottom' }),

  [Command.UserUp]: (_s, ctx) => ctx.dispatch({ type: 'userMove', delta: -1 }),
  [Command.UserDown]: (_s, ctx) => ctx.dispatch({ type: 'userMove', delta: 1 }),
  [Command.UsersPageUp]: (_s, ctx) => ctx.dispatch({ type: 'usersPage', delta: -1 }),
  [Command.UsersPageDown]: (_s, ctx) => ctx.dispatch({ type: 'usersPage', delta: 1 }),
  [Command.OpenUser]: (s, ctx) => {
    const name = s.users.selected;
    if (name === null || !s.users.names.includes(name)) return ctx.dispatch({ type: 'composeError', text: 'select a user first (Up / Down)' });
    ctx.dispatch({ type: 'query', name, show: true });
    ctx.dispatch({ type: 'focus', pane: 'compose' });
  },

  [Command.LoginField]: loginIdle((_s, ctx) => ctx.dispatch({ type: 'loginField' })),
  [Command.LoginSubmit]: loginIdle((s, ctx) => {
    const { login } = s;
    if (login.field === 'username' && login.password.text === '') return ctx.dispatch({ type: 'loginField' });
    const u = login.username.text.trim();
    if (u === '') return ctx.dispatch({ type: 'loginFailed', error: 'Type a username.' });
    ctx.login(u, login.password.text, login.mode === 'register');
  }),
  [Command.ToggleRegister]: loginIdle((_s, ctx) => ctx.dispatch({ type: 'toggleRegister' })),
  [Command.LoginQuit]: (_s, ctx) => ctx.quit(),

  [Command.HelpLineUp]: (_s, ctx) => ctx.dispatch({ type: 'helpScroll', delta: -1, max: ctx.helpMax }),
  [Command.HelpLineDown]: (_s, ctx) => ctx.dispatch({ type: 'helpScroll', delta: 1, max: ctx.helpMax }),
  [Command.HelpPageUp]: (_s, ctx) => ctx.dispatch({ type: 'helpScroll', delta: -10, max: ctx.helpMax }),
  [Command.HelpPageDown]: (_s, ctx) => ctx.dispatch({ type: 'helpScroll', delta: 10, max: ctx.helpMax }),
  [Command.HelpType]: (_s, ctx, input) => {
    // A letter typed at the help is meant for the line: it closes the help and is typed.
    ctx.dispatch({ type: 'overlay', overlay: 'none' });
    ctx.dispatch({ type: 'focus', pane: 'compose' });
    ctx.dispatch({ type: 'edit', field: 'compose', op: { insert: input } });
  },
  [Command.HelpClose]: closeOverlay,

  [Command.QuitYes]: (_s, ctx) => ctx.quit(),
  [Command.QuitNo]: closeOverlay,
  [Command.SplitYes]: (s, ctx) => {
    const split = s.dialogs.split;
    if (!split) return;
    ctx.dispatch({ type: 'overlay', overlay: 'none' });
    split.parts.forEach((p, i) => ctx.send(split.recipient, p, i === 0, split.action));
  },
  [Command.SplitNo]: closeOverlay,
  [Command.PasteJoin]: (s, ctx) => sendPasted(s, ctx, false),
  [Command.PasteLines]: (s, ctx) => sendPasted(s, ctx, true),
  [Command.PasteEdit]: closeOverlay,
  [Command.PasteDiscard]: (_s, ctx) => {
    ctx.dispatch({ type: 'overlay', overlay: 'none' });
    ctx.dispatch({ type: 'setCompose', text: '' });
  },
  [Command.DeleteContinue]: (s, ctx) => {
    const { password } = s.dialogs.del;
    if (password.text === '') return ctx.dispatch({ type: 'deleteFailed', error: 'Type your password.' });
    ctx.deleteAccount(password.text, false);
  },
  [Command.DeleteCancel]: closeOverlay,
  [Command.DeleteYes]: (s, ctx) => ctx.deleteAccount(s.dialogs.del.password.text, true),
  [Command.DeleteNo]: closeOverlay,
};
