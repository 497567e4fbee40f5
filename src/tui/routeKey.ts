/**
 * The one place a key goes: ink hands every key to every active useInput, so the App has a single
 * always-active one that routes each key, on the latest state, to exactly one handler. A pane that
 * just got the focus therefore never misses the next key (a per-pane useInput is only subscribed
 * in an effect after its first render).
 */
import { composeKeys } from './components/ComposePane.js';
import { deleteKeys } from './components/DeleteDialog.js';
import { inboxKeys } from './components/InboxPane.js';
import { loginKeys } from './components/LoginScreen.js';
import { usersKeys } from './components/UsersPane.js';
import type { KeyContext, KeyLike } from './keyContext.js';
import { isTyping, type State } from './state.js';

export function routeKey(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  if (key.ctrl && input === 'c') return ctx.quit();
  if (s.screen === 'login') return loginKeys(s, input, key, ctx);
  if (s.overlay === 'help') return dispatch({ type: 'overlay', overlay: 'none' });
  if (s.overlay === 'delete') return deleteKeys(s, input, key, ctx);
  if (key.tab) return dispatch({ type: 'focusNext', dir: key.shift ? -1 : 1 });
  if (key.ctrl && input === 'l') return dispatch({ type: 'redraw' });
  if (key.ctrl && input === 'd') return dispatch({ type: 'overlay', overlay: 'delete' });
  if (key.ctrl && input === 'f') return ctx.fetch();
  if (!isTyping(s) && !key.ctrl && !key.meta) {
    if (input === '?') return dispatch({ type: 'overlay', overlay: 'help' });
    if (input === 'q') return ctx.quit();
    if (input === 'f') return ctx.fetch();
  }
  if (s.focus === 'users') return usersKeys(s, input, key, ctx);
  if (s.focus === 'inbox') return inboxKeys(s, input, key, ctx);
  return composeKeys(s, input, key, ctx);
}

/** A key event with no flag set: plain text. */
export const NO_KEY: KeyLike = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

/**
 * Splits one input chunk into the keys a person typed. Ink hands a whole read to useInput as one
 * string, so keys typed ahead (or arriving together over a slow link) such as "bob\tsecret\r" would
 * otherwise be taken as text; Tab and Enter inside a chunk become keys of their own.
 */
export function splitKeys(input: string, key: KeyLike): Array<[string, KeyLike]> {
  if (input.length < 2 || key.ctrl || key.meta || key.escape || !/[\t\r]/.test(input)) return [[input, key]];
  const out: Array<[string, KeyLike]> = [];
  for (const part of input.split(/([\t\r])/)) {
    if (part === '\t') out.push(['', { ...NO_KEY, tab: true }]);
    else if (part === '\r') out.push(['', { ...NO_KEY, return: true }]);
    else if (part !== '') out.push([part, NO_KEY]);
  }
  return out;
}

/** Routes every key of an input chunk, each on the state the previous one left. */
export function routeInput(get: () => State, input: string, key: KeyLike, ctx: KeyContext): void {
  for (const [i, k] of splitKeys(input, key)) routeKey(get(), i, k, ctx);
}
