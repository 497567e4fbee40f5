/** Routing keys without a terminal: the state through the reducer, the side effects written down. */
import type { KeyContext } from '../../src/tui/keys/context.js';
import { routeInput, routePaste } from '../../src/tui/keys/route.js';
import { NO_KEY, type KeyLike } from '../../src/tui/keys/tokens.js';
import { reduce, type Action, type State } from '../../src/tui/state/index.js';

/**
 * Keys routed on `start`; `effects` lists what reached the session ("send alice hi", "quit", …).
 * `accounts`: what the server would answer to Tab's question (every account starting with a prefix).
 */
export function harness(start: State, accounts: readonly string[] = []) {
  let state = start;
  const effects: string[] = [];
  const ctx: KeyContext = {
    dispatch: (a: Action) => {
      state = reduce(state, a);
    },
    login: (u, p, register) => effects.push(`${register ? 'register' : 'login'} ${u} ${p}`),
    send: (to, text, fromCompose, action) => {
      // As the session does: the message shows as pending and the line clears.
      effects.push(`${action ? 'action' : 'send'} ${to} ${text}`);
      state = reduce(state, { type: 'sendStarted', clientId: effects.length, recipient: to, text, at: 0, fromCompose, ...(action ? { action } : {}) });
    },
    fetch: () => effects.push('fetch'),
    refreshUsers: () => effects.push('refresh'),
    search: (q) => effects.push(`search ${q}`),
    namesStartingWith: (prefix) => {
      effects.push(`names ${prefix}*`);
      const names = accounts.filter((a) => a.startsWith(prefix));
      return Promise.resolve({ names, total: names.length });
    },
    exportHistory: (file) => effects.push(`export ${file}`),
    keepClear: (view, upTo) => effects.push(`clear ${view ?? ''} ${upTo}`),
    deleteAccount: (pw, confirm) => effects.push(`delete ${pw} ${confirm}`),
    quit: () => effects.push('quit'),
    redraw: () => effects.push('redraw'),
    helpMax: 5,
    usersShown: true,
  };
  /** One key event as ink gives it (a chunk of text, or a key with its flags). */
  const key = (input: string, k: Partial<KeyLike> = {}) => routeInput(() => state, input, { ...NO_KEY, ...k }, ctx);
  /** A bracketed paste. */
  const paste = (text: string) => routePaste(() => state, text, ctx);
  return {
    get state() {
      return state;
    },
    effects,
    key,
    paste,
    ctx,
  };
}
