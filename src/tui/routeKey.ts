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
