/** Routing keys without a terminal: the state through the reducer, the side effects written down. */
import type { KeyContext } from '../../src/tui/keys/context.js';
import { routeInput } from '../../src/tui/keys/route.js';
import { NO_KEY, type KeyLike } from '../../src/tui/keys/tokens.js';
import { reduce, type Action, type State } from '../../src/tui/state/index.js';

/** Keys routed on `start`; `effects` lists what reached the session ("send alice hi", "quit", …). */
export function harness(start: State) {
  let state = start;
  const effects: string[] = [];
  const ctx: KeyContext = {
    dispatch: (a: Action) => {
      state = reduce(state, a);
    },
    login: (u, p, register) => effects.push(`${register ? 'register' : 'login'} ${u} ${p}`),
    send: (to, text, fromCompose) => {
      // As the session does: the message shows as pending and the line clears.
      effects.push(`send ${to} ${text}`);
      state = reduce(state, { type: 'sendStarted', clientId: effects.length, recipient: to, text, at: 0, fromCompose });
    },
    fetch: () => effects.push('fetch'),
    refreshUsers: () => effects.push('refresh'),
    search: (q) => effects.push(`search ${q}`),
    deleteAccount: (pw, confirm) => effects.push(`delete ${pw} ${confirm}`),
    quit: () => effects.push('quit'),
    redraw: () => effects.push('redraw'),
    helpMax: 5,
    usersShown: true,
  };
  /** One key event as ink gives it (a chunk of text, or a key with its flags). */
  const key = (input: string, k: Partial<KeyLike> = {}) => routeInput(() => state, input, { ...NO_KEY, ...k }, ctx);
  return {
    get state() {
      return state;
    },
    effects,
    key,
    ctx,
  };
}
