/**
 * The TUI's state: one small reducer per concern, combined here with the few fields they share
 * (screen, connection, status line, focus). Pure: no I/O, no clock (times come in with the
 * actions), so every transition is unit-testable.
 */
import { lineOf } from '../lineEdit.js';
import { DEFAULT_SERVER } from '../servers.js';
import { compose, composeFailed, initialCompose, type ComposeState } from './compose.js';
import { conversations, initialConvs, pendingEntry, type ConvState } from './conversations.js';
import { totalUnread as convUnread } from './views.js';
import { dialogs, initialDialogs, type DialogState } from './dialogs.js';
import { initialLogin, login, type LoginState } from './login.js';
import { initialUsers, users, type UsersState } from './users.js';
import { PANES, type Action, type ConnStatus, type Pane } from './actions.js';

export * from './actions.js';
export type * from './types.js';
export { composeBytes, composeTarget, isCommandLine, LINE_MAX, type ComposeTarget } from './compose.js';
export { lastIdShown } from './conversations.js';
export { activity, markerIndex, maxScroll, pendingCount, screenLines, viewEntries, viewKey, viewLineCount, viewLines, windows } from './views.js';
export { filterPattern, selectedRow } from './users.js';

export interface State {
  readonly screen: 'login' | 'main';
  readonly conn: ConnStatus;
  /** host:port of the server we are on (or trying). */
  readonly server: string;
  /** An informational line for the status bar (e.g. "started a local server"). */
  readonly notice: string | null;
  /** The notice describes a moment ("reconnected") and goes after a while. */
  readonly noticeTransient: boolean;
  /** Our pending messages are kept on disk (a history file is open): quitting does not lose them. */
  readonly outboxKept: boolean;
  /** The last error, for the status bar; cleared by the next request that succeeds. */
  readonly error: string | null;
  readonly me: string | null;
  readonly focus: Pane;
  /** Messages waiting on the server to be fetched. */
  readonly waiting: number;
  readonly fetching: boolean;
  /** Bumped by Ctrl-L so the view repaints. */
  readonly redraws: number;
  readonly login: LoginState;
  readonly convs: ConvState;
  readonly users: UsersState;
  readonly compose: ComposeState;
  readonly dialogs: DialogState;
}

export function initialState(server = DEFAULT_SERVER, notice: string | null = null): State {
  return {
    screen: 'login',
    conn: 'connecting',
    server,
    notice,
    noticeTransient: false,
    outboxKept: false,
    error: null,
    me: null,
    focus: 'compose',
    waiting: 0,
    fetching: false,
    redraws: 0,
    login: initialLogin,
    convs: initialConvs,
    users: initialUsers,
    compose: initialCompose,
    dialogs: initialDialogs,
  };
}

/** Unread messages over all conversations (for the terminal title). */
export const totalUnread = (s: State): number => convUnread(s.convs);

/** The fields shared by every screen. */
function shared(s: State, a: Action): State {
  switch (a.type) {
    case 'conn':
      return { ...s, conn: a.status, server: a.server ?? s.server, error: a.error !== undefined ? a.error : s.error };
    case 'notice':
      return { ...s, notice: a.text, noticeTransient: a.text !== null && a.transient === true };
    case 'error':
      return { ...s, error: a.text };
    case 'loggedIn':
      if (a.resumed) return { ...s, screen: 'main', me: a.me, waiting: a.undelivered, error: null };
      // A fresh login (maybe as someone else): nothing of the previous session carries over.
      return { ...s, screen: 'main', me: a.me, waiting: a.undelivered, error: null, notice: null, noticeTransient: false, focus: 'compose', fetching: false, outboxKept: a.kept ?? false };
    case 'loggedOut':
      // `me` stays (the screens show it only when logged in): logging in again as the same person keeps the draft.
      return { ...s, screen: 'login', notice: null, error: null, waiting: 0, fetching: false };
    case 'accountDeleted':
      return { ...s, screen: 'login', me: null, notice: `account ${a.name} deleted`, error: null, waiting: 0, fetching: false };
    case 'fetching':
      return { ...s, fetching: a.on };
    case 'waiting':
      return { ...s, waiting: Math.max(0, a.count) };
    case 'usersLoaded':
    case 'sendAccepted':
      // A request went through: an error from an earlier one no longer describes the present.
      return s.error && s.conn === 'connected' ? { ...s, error: null } : s;
    case 'focus':
      return { ...s, focus: a.pane };
    case 'focusNext': {
      const i = PANES.indexOf(s.focus);
      return { ...s, focus: PANES[(i + a.dir + PANES.length) % PANES.length]! };
    }
    case 'redraw':
      return { ...s, redraws: s.redraws + 1 };
    default:
      return s;
  }
}

/** The reducer. */
export function reduce(s: State, a: Action): State {
  let next = shared(s, a);
  const me = s.me ?? '';
  const freshSession = (a.type === 'loggedIn' && !a.resumed) || a.type === 'accountDeleted';
  // The draft survives a takeover and logging in again as the same person, not a change of account.
  const otherAccount = (a.type === 'loggedIn' && s.me !== a.me) || a.type === 'accountDeleted';
  let compose_ = otherAccount ? initialCompose : compose(s.compose, a);
  // A line typed in a session of this account that was taken over comes back, unless one is being typed.
  if (a.type === 'loggedIn' && a.draft && compose_.line.text === '') {
    compose_ = { ...compose_, line: lineOf(a.draft) };
    next = { ...next, notice: 'the line you were typing when this account was taken over is back', noticeTransient: true };
  }
  if (a.type === 'sendFailed') {
    const failed = pendingEntry(s.convs, a.clientId);
    compose_ = composeFailed(s.compose, a.error, failed?.peer, failed?.text);
  }
  const convs = a.type === 'accountDeleted' ? { ...initialConvs, rows: s.convs.rows, width: s.convs.width } : conversations(s.convs, a, a.type === 'loggedIn' ? a.me : me);
  const users_ = freshSession ? { ...initialUsers, pageSize: s.users.pageSize } : users(s.users, a);
  const login_ = login(s.login, a);
  const dialogs_ = dialogs(s.dialogs, a);
  if (
    next === s &&
    convs === s.convs &&
    users_ === s.users &&
    compose_ === s.compose &&
    login_ === s.login &&
    dialogs_ === s.dialogs
  ) {
    return s;
  }
  next = { ...next, convs, users: users_, compose: compose_, login: login_, dialogs: dialogs_ };
  return next;
}

