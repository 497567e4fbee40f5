/** The login/register form. */
import { password as passwordField, username as usernameField } from '../../protocol/schema.js';
import { editLine, emptyLine, type Line } from '../lineEdit.js';
import type { Action } from './actions.js';

export interface LoginState {
  readonly username: Line;
  readonly password: Line;
  readonly field: 'username' | 'password';
  readonly mode: 'login' | 'register';
  readonly busy: boolean;
  readonly error: string | null;
  /** Something the form says that is not an error (the account was deleted). */
  readonly info: string | null;
}

export const initialLogin: LoginState = { username: emptyLine, password: emptyLine, field: 'username', mode: 'login', busy: false, error: null, info: null };

export function login(l: LoginState, a: Action): LoginState {
  switch (a.type) {
    case 'edit':
      if (a.field === 'username') return { ...l, username: editLine(l.username, a.op, usernameField.size), error: null };
      if (a.field === 'password') return { ...l, password: editLine(l.password, a.op, passwordField.size), error: null };
      return l;
    case 'loginField':
      return { ...l, field: l.field === 'username' ? 'password' : 'username' };
    case 'toggleRegister':
      return { ...l, mode: l.mode === 'login' ? 'register' : 'login', error: null };
    case 'loginStarted':
      return { ...l, busy: true, error: null, info: null };
    case 'loginFailed':
      return { ...l, busy: false, error: a.error };
    case 'loggedIn':
      return { ...l, busy: false, error: null, password: emptyLine, mode: 'login' };
    case 'loggedOut':
      return { ...l, busy: false, password: emptyLine, field: 'password', error: a.reason };
    case 'accountDeleted':
      return { ...initialLogin, info: `Account ${a.name} deleted: its history on this computer too.` };
    default:
      return l;
  }
}
