/**
 * The one place a key goes. Printable text always lands in the compose line, whatever pane has the
 * focus; panes act only on keys that cannot be text (arrows, Ctrl/Alt, Enter, Tab, Esc). ink hands
 * every key to every active useInput, so the App has a single one that routes each key, on the
 * latest state, to exactly one handler.
 */
import { submit } from './commands.js';
import { deleteKeys } from './components/DeleteDialog.js';
import { helpKeys } from './components/HelpOverlay.js';
import { loginKeys } from './components/LoginScreen.js';
import type { KeyContext, KeyLike } from './keyContext.js';
import { tokenize } from './keyTokens.js';
import { completionNames } from './completion.js';
import { type State } from './state/index.js';

/** Keys that edit the compose line wherever the focus is. */
const isEditKey = (input: string, key: KeyLike): boolean =>
  key.backspace ||
  key.delete ||
  key.leftArrow ||
  key.rightArrow ||
  key.home ||
  key.end ||
  (key.ctrl && ['a', 'e', 'u', 'k', 'w', 'h'].includes(input)) ||
  (!key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && input !== '' && !key.upArrow && !key.downArrow && !key.pageUp && !key.pageDown);

/** Whether a quit would lose typed text. */
const hasDraft = (s: State) => s.compose.line.text.trim() !== '';

/** Ctrl-C and /quit: quit at once, or ask when there is a draft. */
export function requestQuit(s: State, ctx: KeyContext): void {
  if (s.screen === 'main' && hasDraft(s) && !/^\/(quit|exit)\b/.test(s.compose.line.text.trim())) {
    return ctx.dispatch({ type: 'overlay', overlay: 'quit' });
  }
  ctx.quit();
}

/** Overlays that take every key while open. */
function overlayKeys(s: State, input: string, key: KeyLike, ctx: KeyContext): boolean {
  const { dispatch } = ctx;
  switch (s.dialogs.overlay) {
    case 'help':
      helpKeys(s, input, key, ctx);
      return true;
    case 'delete':
      deleteKeys(s, input, key, ctx);
      return true;
    case 'quit':
      if (input === 'y' || input === 'Y' || key.return || (key.ctrl && input === 'c')) ctx.quit();
      else if (input === 'n' || input === 'N' || key.escape) dispatch({ type: 'overlay', overlay: 'none' });
      return true;
    case 'split': {
      const split = s.dialogs.split;
      if ((input === 'y' || input === 'Y' || key.return) && split) {
        dispatch({ type: 'overlay', overlay: 'none' });
        split.parts.forEach((p, i) => ctx.send(split.recipient, p, i === 0));
      } else if (input === 'n' || input === 'N' || key.escape) dispatch({ type: 'overlay', overlay: 'none' });
      return true;
    }
    default:
      return false;
  }
}

/** Alt-<key>: window switching and help. */
function altKeys(input: string, ctx: KeyContext): void {
  const { dispatch } = ctx;
  if (/^[1-9]$/.test(input)) return dispatch({ type: 'viewNumber', n: Number(input) });
  if (input === 'a' || input === 'A') return dispatch({ type: 'viewNextUnread' });
  if (input === 'h' || input === 'H') return dispatch({ type: 'overlay', overlay: 'help' });
}

function focusStep(s: State, ctx: KeyContext, dir: 1 | -1): void {
  ctx.dispatch({ type: 'focusNext', dir });
  // A hidden users pane (narrow window) cannot take the focus: step over it.
  if (!ctx.usersShown && ((dir === 1 && s.focus === 'messages') || (dir === -1 && s.focus === 'compose'))) {
    ctx.dispatch({ type: 'focusNext', dir });
  }
}

export function routeKey(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  if (s.screen === 'login') {
    if (key.ctrl && input === 'c') return ctx.quit();
    return loginKeys(s, input, key, ctx);
  }
  if (overlayKeys(s, input, key, ctx)) return;
  if (key.ctrl && input === 'c') return requestQuit(s, ctx);
  if (key.meta && !key.escape && input !== '') return altKeys(input, ctx);
  if (key.ctrl) {
    if (input === 'l') return ctx.redraw();
    if (input === 'f') return ctx.fetch();
    if (input === 'n') return dispatch({ type: 'viewNext', dir: 1 });
    if (input === 'p') return dispatch({ type: 'viewNext', dir: -1 });
  }
  if (key.tab && key.shift) return focusStep(s, ctx, -1);
  if (key.tab) {
    if (s.focus === 'compose' && /[A-Za-z0-9_.-]$/.test(s.compose.line.text.slice(0, s.compose.line.cursor))) {
      return dispatch({ type: 'complete', names: completionNames(s) });
    }
    return focusStep(s, ctx, 1);
  }
  if (key.escape) {
    if (s.convs.search) return dispatch({ type: 'searchClose' });
    if (s.compose.error) dispatch({ type: 'composeError', text: null });
    return dispatch({ type: 'focus', pane: 'compose' });
  }
  if (s.focus === 'users' && (key.pageUp || key.pageDown)) return dispatch({ type: 'usersPage', delta: key.pageUp ? -1 : 1 });
  if (key.pageUp) return dispatch({ type: 'scrollPage', dir: -1 });
  if (key.pageDown) return dispatch({ type: 'scrollPage', dir: 1 });
  if (s.focus === 'messages') {
    if (key.upArrow) return dispatch({ type: 'scroll', lines: -1 });
    if (key.downArrow) return dispatch({ type: 'scroll', lines: 1 });
    if (key.home) return dispatch({ type: 'scrollTo', where: 'top' });
    if (key.end) return dispatch({ type: 'scrollTo', where: 'bottom' });
  }
  if (s.focus === 'users') {
    if (key.upArrow) return dispatch({ type: 'userMove', delta: -1 });
    if (key.downArrow) return dispatch({ type: 'userMove', delta: 1 });
    if (key.return) {
      const name = s.users.selected;
      if (name === null || !s.users.names.includes(name)) return dispatch({ type: 'composeError', text: 'select a user first (Up / Down)' });
      dispatch({ type: 'query', name, show: true });
      return dispatch({ type: 'focus', pane: 'compose' });
    }
  }
  if (s.focus === 'compose') {
    if (key.upArrow) return dispatch({ type: 'history', dir: -1 });
    if (key.downArrow) return dispatch({ type: 'history', dir: 1 });
  }
  if (key.return) return submit(s, ctx);
  if (isEditKey(input, key)) {
    if (s.focus !== 'compose') dispatch({ type: 'focus', pane: 'compose' });
    dispatch({ type: 'edit', field: 'compose', input, key });
  }
}

/** Routes every key of an input chunk, each on the state the previous one left. */
export function routeInput(get: () => State, input: string, key: KeyLike, ctx: KeyContext): void {
  for (const [i, k] of tokenize(input, key)) routeKey(get(), i, k, ctx);
}
