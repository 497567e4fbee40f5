/** What a key handler may do besides dispatching: the side effects, supplied by the App. */
import type { Action } from '../state/index.js';
import type { GroupActions } from '../groups.js';

export interface KeyContext {
  dispatch: (a: Action) => void;
  login: (username: string, password: string, register: boolean) => void;
  /** Sends one message; `fromCompose`: it is the compose line (which then clears); `action`: /me. */
  send: (recipient: string, text: string, fromCompose: boolean, action?: boolean) => void;
  fetch: () => void;
  refreshUsers: () => void;
  search: (query: string) => void;
  /** Accounts whose names start with `prefix` (Tab completion asks the server); `total` may be more than `names`. */
  namesStartingWith: (prefix: string) => Promise<{ names: readonly string[]; total: number }>;
  /** /export FILE: the history as text. */
  exportHistory: (file: string) => void;
  /** /clear: remember (in the history file) that this view hides messages up to this server id. */
  keepClear: (view: string | null, upToId: number) => void;
  deleteAccount: (password: string, confirm: boolean) => void;
  quit: () => void;
  /** Ctrl-L: clear the terminal and paint everything again. */
  redraw: () => void;
  /** How far the help overlay can scroll at this size. */
  helpMax: number;
  /** Whether the layout shows the users pane (else focus skips it). */
  usersShown: boolean;
  /** The group /commands' requests (absent where there is no session). */
  groups?: GroupActions;
}
