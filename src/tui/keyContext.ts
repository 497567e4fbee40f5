/** What a key handler may do besides dispatching: the side effects, supplied by the App. */
import type { Action } from './state.js';

export interface KeyContext {
  dispatch: (a: Action) => void;
  login: (username: string, password: string, register: boolean) => void;
  send: (recipient: string, content: string) => void;
  fetch: () => void;
  refreshUsers: () => void;
  deleteAccount: (password: string, confirm: boolean) => void;
  quit: () => void;
}

/** The ink Key fields handlers read. */
export interface KeyLike {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}
