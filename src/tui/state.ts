/**
 * The TUI's one reducer: client events and key actions in, view state out. Pure: no I/O, no clock
 * (times come in with the actions), so every transition is unit-testable.
 */
import { visibleLines } from './inboxLayout.js';
import { editLine, emptyLine, lineOf, type EditKey, type Line } from './lineEdit.js';

export type Pane = 'users' | 'inbox' | 'compose';
export const PANES: readonly Pane[] = ['users', 'inbox', 'compose'];
export type Overlay = 'none' | 'help' | 'delete';
export type ConnStatus = 'connecting' | 'connected' | 'disconnected';
/** Every editable line in the UI. */
export type Field = 'username' | 'password' | 'filter' | 'compose' | 'deletePassword';

/** A message as the inbox shows it: received (id) or sent by us (clientId). */
export interface InboxEntry {
  readonly key: string;
  readonly sender: string;
  /** Set on messages we sent. */
  readonly recipient?: string;
  readonly sentAt: number;
  readonly content: string;
  readonly senderDeleted?: boolean;
  /** Only for our own messages: 'sending' until the server stored it. */
  readonly status?: 'sending' | 'sent';
}

/** A received message, the fields of ChatMessage the view needs. */
export interface IncomingMessage {
  readonly id: number;
  readonly sender: string;
  readonly flags: number;
  readonly sentAt: number;
  readonly content: string;
}

export interface State {
  readonly screen: 'login' | 'main';
  readonly conn: ConnStatus;
  /** host:port we talk to. */
  readonly server: string;
  /** An informational line for the status bar (e.g. "started a local server"). */
  readonly notice: string | null;
  /** The last error, for the status bar. */
  readonly error: string | null;
  readonly me: string | null;
  readonly login: {
    readonly username: Line;
    readonly password: Line;
    readonly field: 'username' | 'password';
    readonly mode: 'login' | 'register';
    readonly busy: boolean;
    readonly error: string | null;
  };
  readonly focus: Pane;
  readonly overlay: Overlay;
  readonly users: {
    readonly filter: Line;
    /** The filter as last committed (what the list shows). */
    readonly pattern: string;
    readonly editingFilter: boolean;
    readonly page: number;
    readonly pageSize: number;
    readonly total: number;
    readonly names: readonly string[];
    readonly selected: number;
  };
  readonly inbox: {
    readonly entries: readonly InboxEntry[];
    /** How many entries are hidden below the view (0 = following the newest). */
    readonly scroll: number;
    /** Entries that arrived while scrolled back. */
    readonly newBelow: number;
    /** Lines the inbox shows (set from the layout). */
    readonly pageSize: number;
    /** Columns the inbox text wraps at (set from the layout). */
    readonly width: number;
  };
  /** Received message ids, to drop redeliveries (delivery is at-least-once). */
  readonly seen: ReadonlySet<number>;
  readonly unread: Readonly<Record<string, number>>;
  /** Messages waiting on the server to be fetched. */
  readonly waiting: number;
  readonly fetching: boolean;
  readonly compose: {
    readonly line: Line;
    readonly to: string | null;
    readonly history: readonly string[];
    /** Position while browsing history with Up/Down; null when editing a fresh line. */
    readonly historyIndex: number | null;
    readonly draft: string;
    readonly error: string | null;
  };
  readonly del: {
    readonly password: Line;
    readonly step: 'password' | 'confirm' | 'busy';
    readonly waiting: number;
    readonly error: string | null;
  };
  /** Bumped by Ctrl-L so the view repaints. */
  readonly redraws: number;
}

export type Action =
  | { type: 'conn'; status: ConnStatus; error?: string | null }
  | { type: 'notice'; text: string | null }
  | { type: 'error'; text: string | null }
  | { type: 'edit'; field: Field; input: string; key: EditKey }
  | { type: 'loginField' }
  | { type: 'toggleRegister' }
  | { type: 'loginStarted' }
  | { type: 'loginFailed'; error: string }
  | { type: 'loggedIn'; me: string; undelivered: number; resumed?: boolean }
  | { type: 'loggedOut'; reason: string }
  | { type: 'messages'; messages: readonly IncomingMessage[]; live: boolean }
  | { type: 'fetching'; on: boolean }
  | { type: 'waiting'; count: number }
  | { type: 'focus'; pane: Pane }
  | { type: 'focusNext'; dir: 1 | -1 }
  | { type: 'overlay'; overlay: Overlay }
  | { type: 'usersLoaded'; total: number; names: readonly string[] }
  | { type: 'userMove'; delta: number }
  | { type: 'usersPage'; delta: number }
  | { type: 'filterEdit'; on: boolean }
  | { type: 'filterCommit' }
  | { type: 'chooseUser' }
  | { type: 'layout'; usersPageSize: number; inboxPageSize: number; inboxWidth?: number }
  | { type: 'scroll'; delta: number }
  | { type: 'scrollPage'; dir: -1 | 1 }
  | { type: 'scrollTo'; where: 'top' | 'bottom' }
  | { type: 'history'; dir: -1 | 1 }
  | { type: 'composeError'; text: string | null }
  | { type: 'sendStarted'; clientId: number; recipient: string; content: string; at: number }
  | { type: 'sendAccepted'; clientId: number }
  | { type: 'sendFailed'; clientId: number; error: string }
  | { type: 'deleteStep'; step: 'password' | 'confirm' | 'busy'; waiting?: number }
  | { type: 'deleteFailed'; error: string }
  | { type: 'accountDeleted' }
  | { type: 'redraw' };

/** Longest line the compose field accepts: `@` + a 16-byte name + space + 512 bytes of content. */
export const COMPOSE_MAX = 1 + 16 + 1 + 512;
const HISTORY_MAX = 100;

export function initialState(server = '127.0.0.1:7878', notice: string | null = null): State {
  return {
    screen: 'login',
    conn: 'connecting',
    server,
    notice,
    error: null,
    me: null,
    login: { username: emptyLine, password: emptyLine, field: 'username', mode: 'login', busy: false, error: null },
    focus: 'compose',
    overlay: 'none',
    users: { filter: emptyLine, pattern: '', editingFilter: false, page: 0, pageSize: 10, total: 0, names: [], selected: 0 },
    inbox: { entries: [], scroll: 0, newBelow: 0, pageSize: 10, width: 80 },
    seen: new Set(),
    unread: {},
    waiting: 0,
    fetching: false,
    compose: { line: emptyLine, to: null, history: [], historyIndex: null, draft: '', error: null },
    del: { password: emptyLine, step: 'password', waiting: 0, error: null },
    redraws: 0,
  };
}

/** The wildcard sent to the server for a filter: plain text matches anywhere in the name. */
export function filterPattern(filter: string): string {
  const f = filter.trim();
  if (f === '') return '*';
  return /[*?]/.test(f) ? f : `*${f}*`;
}

/** What Enter in the compose pane sends: `@name text` picks the recipient, else the chosen one. */
export function parseCompose(text: string, to: string | null): { recipient: string; content: string } | { error: string } {
  const m = /^@(\S+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (m) {
    const content = (m[2] ?? '').trim();
    if (content === '') return { error: `type a message after @${m[1]}` };
    return { recipient: m[1]!, content };
  }
  const content = text.trim();
  if (content === '') return { error: 'nothing to send' };
  if (!to) return { error: 'no recipient: pick a user (Enter in Users) or type @name message' };
  return { recipient: to, content };
}

/** Unread messages over all senders (for the terminal title). */
export const totalUnread = (s: State): number => Object.values(s.unread).reduce((a, b) => a + b, 0);

/** Whether keys go to a text field (so single letters like q or f are text, not commands). */
export const isTyping = (s: State): boolean =>
  s.screen === 'login' || s.overlay === 'delete' || s.focus === 'compose' || s.users.editingFilter;

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

function edit(s: State, field: Field, input: string, key: EditKey): State {
  switch (field) {
    case 'username':
      return { ...s, login: { ...s.login, username: editLine(s.login.username, input, key, 16), error: null } };
    case 'password':
      return { ...s, login: { ...s.login, password: editLine(s.login.password, input, key, 64), error: null } };
    case 'filter':
      return { ...s, users: { ...s.users, filter: editLine(s.users.filter, input, key, 32) } };
    case 'deletePassword':
      return { ...s, del: { ...s.del, password: editLine(s.del.password, input, key, 64), error: null } };
    case 'compose': {
      const line = editLine(s.compose.line, input, key, COMPOSE_MAX);
      if (line === s.compose.line) return s;
      return { ...s, compose: { ...s.compose, line, historyIndex: null, error: null } };
    }
  }
}

function addMessages(s: State, msgs: readonly IncomingMessage[]): State {
  const fresh = msgs.filter((m) => !s.seen.has(m.id));
  if (fresh.length === 0) return s;
  const seen = new Set(s.seen);
  const unread = { ...s.unread };
  const added: InboxEntry[] = [];
  for (const m of fresh) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    added.push({ key: `m${m.id}`, sender: m.sender, sentAt: m.sentAt, content: m.content, senderDeleted: (m.flags & 1) !== 0 });
    if (m.sender !== s.compose.to) unread[m.sender] = (unread[m.sender] ?? 0) + 1;
  }
  // Scrolled back: keep the view where it is and count what arrived below.
  const scrolled = s.inbox.scroll > 0;
  return {
    ...s,
    seen,
    unread,
    inbox: {
      ...s.inbox,
      entries: [...s.inbox.entries, ...added],
      scroll: scrolled ? s.inbox.scroll + added.length : 0,
      newBelow: scrolled ? s.inbox.newBelow + added.length : 0,
    },
  };
}

function setScroll(s: State, scroll: number): State {
  const max = Math.max(0, s.inbox.entries.length - 1);
  const v = clamp(scroll, 0, max);
  return { ...s, inbox: { ...s.inbox, scroll: v, newBelow: Math.min(s.inbox.newBelow, v) } };
}

function selectUser(s: State, index: number): State {
  const i = clamp(index, 0, Math.max(0, s.users.names.length - 1));
  return { ...s, users: { ...s.users, selected: i } };
}

/** The reducer. */
export function reduce(s: State, a: Action): State {
  switch (a.type) {
    case 'conn':
      return { ...s, conn: a.status, error: a.error !== undefined ? a.error : s.error };
    case 'notice':
      return { ...s, notice: a.text };
    case 'error':
      return { ...s, error: a.text };
    case 'edit':
      return edit(s, a.field, a.input, a.key);
    case 'loginField':
      return { ...s, login: { ...s.login, field: s.login.field === 'username' ? 'password' : 'username' } };
    case 'toggleRegister':
      return { ...s, login: { ...s.login, mode: s.login.mode === 'login' ? 'register' : 'login', error: null } };
    case 'loginStarted':
      return { ...s, login: { ...s.login, busy: true, error: null } };
    case 'loginFailed':
      return { ...s, login: { ...s.login, busy: false, error: a.error } };
    case 'loggedIn': {
      const base: State = {
        ...s,
        screen: 'main',
        me: a.me,
        waiting: a.undelivered,
        error: null,
        login: { ...s.login, busy: false, error: null, password: emptyLine, mode: 'login' },
      };
      if (a.resumed) return base;
      // A fresh login (maybe as someone else): start with an empty conversation.
      const fresh = initialState(s.server, s.notice);
      return {
        ...base,
        focus: 'compose',
        overlay: 'none',
        users: { ...fresh.users, pageSize: s.users.pageSize },
        inbox: { ...fresh.inbox, pageSize: s.inbox.pageSize },
        seen: fresh.seen,
        unread: {},
        compose: s.me === a.me ? s.compose : fresh.compose,
        del: fresh.del,
      };
    }
    case 'loggedOut':
      return {
        ...s,
        screen: 'login',
        overlay: 'none',
        login: { ...s.login, busy: false, password: emptyLine, field: 'password', error: a.reason },
      };
    case 'messages':
      return addMessages(s, a.messages);
    case 'fetching':
      return { ...s, fetching: a.on };
    case 'waiting':
      return { ...s, waiting: Math.max(0, a.count) };
    case 'focus':
      return { ...s, focus: a.pane, users: { ...s.users, editingFilter: false } };
    case 'focusNext': {
      const i = PANES.indexOf(s.focus);
      const next = PANES[(i + a.dir + PANES.length) % PANES.length]!;
      return { ...s, focus: next, users: { ...s.users, editingFilter: false } };
    }
    case 'overlay':
      return {
        ...s,
        overlay: a.overlay,
        del: a.overlay === 'delete' ? initialState().del : s.del,
      };
    case 'usersLoaded': {
      const lastPage = Math.max(0, Math.ceil(a.total / s.users.pageSize) - 1);
      const users = { ...s.users, total: a.total, names: [...a.names], page: Math.min(s.users.page, lastPage) };
      return { ...s, users: { ...users, selected: clamp(users.selected, 0, Math.max(0, users.names.length - 1)) } };
    }
    case 'userMove': {
      const next = s.users.selected + a.delta;
      // Moving past the edge of a page turns the page.
      if (next < 0 && s.users.page > 0) {
        return { ...s, users: { ...s.users, page: s.users.page - 1, selected: s.users.pageSize - 1 } };
      }
      if (next >= s.users.names.length && (s.users.page + 1) * s.users.pageSize < s.users.total) {
        return { ...s, users: { ...s.users, page: s.users.page + 1, selected: 0 } };
      }
      return selectUser(s, next);
    }
    case 'usersPage': {
      const lastPage = Math.max(0, Math.ceil(s.users.total / s.users.pageSize) - 1);
      const page = clamp(s.users.page + a.delta, 0, lastPage);
      if (page === s.users.page) return s;
      return { ...s, users: { ...s.users, page, selected: 0 } };
    }
    case 'filterEdit':
      return {
        ...s,
        users: { ...s.users, editingFilter: a.on, filter: a.on ? s.users.filter : lineOf(s.users.pattern) },
      };
    case 'filterCommit':
      return {
        ...s,
        users: { ...s.users, editingFilter: false, pattern: s.users.filter.text.trim(), page: 0, selected: 0 },
      };
    case 'chooseUser': {
      const name = s.users.names[s.users.selected];
      if (name === undefined) return s;
      const { [name]: _cleared, ...unread } = s.unread;
      return { ...s, focus: 'compose', unread, compose: { ...s.compose, to: name, error: null } };
    }
    case 'layout': {
      const usersPageSize = Math.max(1, a.usersPageSize);
      const inboxPageSize = Math.max(1, a.inboxPageSize);
      const inboxWidth = a.inboxWidth ?? s.inbox.width;
      if (usersPageSize === s.users.pageSize && inboxPageSize === s.inbox.pageSize && inboxWidth === s.inbox.width) return s;
      // Keep the first visible user visible when the page size changes.
      const first = s.users.page * s.users.pageSize;
      return {
        ...s,
        users: { ...s.users, pageSize: usersPageSize, page: Math.floor(first / usersPageSize) },
        inbox: { ...s.inbox, pageSize: inboxPageSize, width: inboxWidth },
      };
    }
    case 'scroll':
      return setScroll(s, s.inbox.scroll - a.delta);
    case 'scrollPage': {
      // A page is as many messages as fit the view (they wrap to several lines), at least one.
      const { entries, scroll, width, pageSize } = s.inbox;
      const from = a.dir < 0 ? scroll : Math.max(0, scroll - 1);
      const keys = new Set(visibleLines(entries, from, width, pageSize).map((l) => l.key.split(':')[0]));
      return setScroll(s, scroll - a.dir * Math.max(1, keys.size - 1));
    }
    case 'scrollTo':
      return setScroll(s, a.where === 'bottom' ? 0 : s.inbox.entries.length);
    case 'history': {
      const h = s.compose.history;
      if (h.length === 0) return s;
      const cur = s.compose.historyIndex;
      let idx: number | null;
      if (a.dir === -1) idx = cur === null ? h.length - 1 : Math.max(0, cur - 1);
      else idx = cur === null ? null : cur + 1 >= h.length ? null : cur + 1;
      if (idx === cur) return s;
      const draft = cur === null ? s.compose.line.text : s.compose.draft;
      const text = idx === null ? draft : h[idx]!;
      return { ...s, compose: { ...s.compose, historyIndex: idx, draft, line: lineOf(text) } };
    }
    case 'composeError':
      return { ...s, compose: { ...s.compose, error: a.text } };
    case 'sendStarted': {
      const h = s.compose.history;
      const text = s.compose.line.text;
      const history = text && h[h.length - 1] !== text ? [...h, text].slice(-HISTORY_MAX) : h;
      const entry: InboxEntry = {
        key: `c${a.clientId}`,
        sender: s.me ?? '',
        recipient: a.recipient,
        sentAt: a.at,
        content: a.content,
        status: 'sending',
      };
      return {
        ...s,
        compose: { ...s.compose, line: emptyLine, to: a.recipient, history, historyIndex: null, draft: '', error: null },
        inbox: { ...s.inbox, entries: [...s.inbox.entries, entry], scroll: 0, newBelow: 0 },
      };
    }
    case 'sendAccepted': {
      const key = `c${a.clientId}`;
      const entries = s.inbox.entries.map((e) => (e.key === key ? { ...e, status: 'sent' as const } : e));
      return { ...s, inbox: { ...s.inbox, entries } };
    }
    case 'sendFailed': {
      const key = `c${a.clientId}`;
      const failed = s.inbox.entries.find((e) => e.key === key);
      const entries = s.inbox.entries.filter((e) => e.key !== key);
      // Give the text back so it can be fixed and sent again, unless something new is being typed.
      const line = failed && s.compose.line.text === '' ? lineOf(`@${failed.recipient} ${failed.content}`) : s.compose.line;
      return {
        ...s,
        inbox: { ...s.inbox, entries, scroll: Math.min(s.inbox.scroll, Math.max(0, entries.length - 1)) },
        compose: { ...s.compose, line, error: a.error },
      };
    }
    case 'deleteStep':
      return { ...s, del: { ...s.del, step: a.step, waiting: a.waiting ?? s.del.waiting, error: null } };
    case 'deleteFailed':
      return { ...s, del: { ...s.del, step: 'password', password: emptyLine, error: a.error } };
    case 'accountDeleted': {
      const fresh = initialState(s.server, `account ${s.me ?? ''} deleted`);
      return { ...fresh, conn: s.conn, users: { ...fresh.users, pageSize: s.users.pageSize }, inbox: { ...fresh.inbox, pageSize: s.inbox.pageSize } };
    }
    case 'redraw':
      return { ...s, redraws: s.redraws + 1 };
  }
}
