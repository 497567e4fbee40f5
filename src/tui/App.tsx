/** The screens: login/register, then windows and users | messages over compose, with a status bar. */
import { Box, Text, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { ComposePane } from './components/ComposePane.js';
import { ConfirmDialog } from './components/ConfirmDialog.js';
import { DeleteDialog } from './components/DeleteDialog.js';
import { HelpOverlay, helpMax } from './components/HelpOverlay.js';
import { LoginScreen } from './components/LoginScreen.js';
import { MessagesPane } from './components/MessagesPane.js';
import { StatusBar } from './components/StatusBar.js';
import { UsersPane } from './components/UsersPane.js';
import { WindowsPane } from './components/WindowsPane.js';
import type { KeyContext } from './keys/context.js';
import { routeKey, routePaste } from './keys/route.js';
import { useKeys } from './keys/useKeys.js';
import { layout, MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { formatServer, serversName, type ServerAddress } from './servers.js';
import type { Connect, SessionOptions } from './session.js';
import { filterPattern, initialState, totalUnread, type State, type StoredMessage } from './state/index.js';
import { wrapWords } from './text/wrap.js';
import { useChat } from './useChat.js';
import { GROUP_RE } from '../protocol/schema.js';

export interface AppProps {
  connect: Connect;
  /** The servers to use, in turn (the status bar shows the one in use; the list names the history file). */
  servers: readonly ServerAddress[];
  /** The connection is TLS: the status bar says so. */
  secure?: boolean;
  notice?: string | null;
  /** Called to quit; the caller unmounts and restores the terminal. */
  onQuit: () => void;
  /** Ctrl-L: clear the screen so the next frame repaints everything. */
  onRedraw?: () => void;
  setTitle?: (title: string) => void;
  /** Rings the terminal bell (a message in a window not on screen); absent: no bell. */
  bell?: () => void;
  /** Start from this state instead of the login screen (tests, bench). */
  initial?: State;
  /** Refresh the user list this often, ms; by default it is refreshed only when something asks for it (no timer). */
  usersRefreshMs?: number;
  /** How long a notice about a moment ("reconnected") stays, ms. */
  noticeMs?: number;
  /** History and auto-fetch (see SessionOptions); the servers are taken from `servers`. */
  session?: Omit<SessionOptions, 'server' | 'servers'>;
}

/** How long a notice about a moment ("reconnected", /names) stays in the status bar, by default. */
const TRANSIENT_NOTICE_MS = 8000;

/** Terminal size, following resizes. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 100, rows: stdout.rows || 30 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** The messages in memory as the history file would keep them (for /export without one). */
const storedOf = (s: State): StoredMessage[] =>
  s.convs.entries
    .filter((e) => e.id !== 0)
    .map((e) => ({ id: e.id, sender: e.sender, peer: e.peer, own: e.own, clientId: e.clientId, sentAt: e.sentAt, text: e.text, ...(e.action ? { action: true } : {}) }));

export function App({ connect, servers, secure = false, notice = null, onQuit, onRedraw, setTitle, bell, initial, usersRefreshMs, noticeMs = TRANSIENT_NOTICE_MS, session: opts }: AppProps) {
  const { state, get, dispatch, session } = useChat(connect, () => initial ?? initialState(formatServer(servers[0]!), notice), {
    ...opts,
    servers,
    server: serversName(servers),
  });
  const { columns, rows } = useTerminalSize();
  const [tick, setTick] = useState(0);
  const L = layout(columns, rows);

  useEffect(() => {
    dispatch({ type: 'layout', usersPageSize: L.usersPageSize, messageRows: L.messageRows, messageWidth: L.messageColumns });
  }, [L.usersPageSize, L.messageRows, L.messageColumns]);

  const main = state.screen === 'main';
  const loggedIn = main && state.conn === 'connected';
  const { pattern, page, pageSize } = state.users;
  // In a group's window the users pane lists the group's members (groups.ts). The list is asked for
  // when it may have changed or is looked at: a login or reconnect, another page or filter, the focus
  // coming to it, Ctrl-L, a new conversation (someone new wrote), a change to the group's members
  // (GroupChanged). No timer polls it.
  const group = state.convs.view !== null && GROUP_RE.test(state.convs.view) ? state.convs.view : null;
  const conversations = state.convs.open.length;
  const looking = state.focus === 'users';
  const membersChanged = group === null ? 0 : (state.users.membersChanged[group] ?? 0);
  useEffect(() => {
    if (!loggedIn) return;
    if (group !== null) session.groups.membersPage(group, page * pageSize, pageSize);
    else void session.listAccounts(filterPattern(pattern), page * pageSize, pageSize);
  }, [loggedIn, pattern, page, pageSize, tick, state.me, group, conversations, state.redraws, looking, membersChanged]);

  // Presence of the users on screen and of the open conversations (the session skips unchanged sets).
  const watched = [...state.users.names, ...state.convs.open].join('\n');
  useEffect(() => {
    if (loggedIn) session.watch(watched === '' ? [] : watched.split('\n'));
  }, [loggedIn, watched]);

  useEffect(() => {
    if (!loggedIn || !usersRefreshMs) return;
    const t = setInterval(() => setTick((n) => n + 1), usersRefreshMs);
    return () => clearInterval(t);
  }, [loggedIn, usersRefreshMs]);

  // A notice about a moment goes after a while; one timer, only while such a notice shows.
  useEffect(() => {
    if (!state.noticeTransient) return;
    const shown = state.notice;
    const t = setTimeout(() => {
      if (get().notice === shown) dispatch({ type: 'notice', text: null });
    }, noticeMs);
    return () => clearTimeout(t);
  }, [state.notice, state.noticeTransient, noticeMs]);

  // The bell, once per message that arrived in a window not on screen.
  const bells = useRef(state.convs.bells);
  useEffect(() => {
    if (state.convs.bells > bells.current) bell?.();
    bells.current = state.convs.bells;
  }, [state.convs.bells]);

  const unread = main ? totalUnread(state) : 0;
  const title = main && state.me ? `termchat: ${state.me}${unread > 0 ? ` (${unread} unread)` : ''}` : 'termchat';
  useEffect(() => {
    setTitle?.(title);
  }, [title]);

  const ctx: KeyContext = {
    dispatch,
    login: (u, p, register) => void session.login(u, p, register),
    send: (recipient, text, fromCompose, action) => session.send(recipient, text, fromCompose, Date.now(), action),
    fetch: () => void session.fetchWaiting(),
    refreshUsers: () => setTick((n) => n + 1),
    search: (q) => session.search(q),
    namesStartingWith: (prefix) => session.namesStartingWith(prefix),
    exportHistory: (file) => session.exportHistory(file, () => storedOf(get())),
    keepClear: (view, upToId) => session.keepClear(view, upToId),
    deleteAccount: (pw, confirm) => void session.deleteAccount(pw, confirm),
    quit: onQuit,
    // Clear first, then change the state: the frame that follows differs (see StatusBar) and is painted whole.
    redraw: () => {
      onRedraw?.();
      dispatch({ type: 'redraw' });
    },
    helpMax: helpMax(L.top, columns),
    usersShown: L.usersHeight > 0,
    groups: session.groups,
  };
  // One input handler for the whole App, routing each key and paste on the latest state (see keys/route.ts).
  useKeys((e) => ('paste' in e ? routePaste(get, e.paste, ctx) : routeKey(get(), e.input, e.key, ctx)));

  if (L.tooSmall) {
    const lines = wrapWords(`window too small: ${columns}x${rows}, termchat needs ${MIN_COLUMNS}x${MIN_ROWS}`, Math.max(1, columns));
    return (
      <Box flexDirection="column" height={L.height} width={columns}>
        {lines.slice(0, Math.max(1, L.height)).map((l, i) => (
          <Text key={i} color="yellow" wrap="truncate">
            {l}
          </Text>
        ))}
      </Box>
    );
  }

  if (!main) {
    return (
      <Box flexDirection="column" height={L.height} width={columns}>
        <LoginScreen state={state} height={L.height - 1} width={columns} compact={L.compact} />
        <StatusBar state={state} width={columns} secure={secure} />
      </Box>
    );
  }

  const { overlay } = state.dialogs;
  const panes = overlay === 'none';
  let top;
  if (overlay === 'help') {
    top = <HelpOverlay height={L.top} width={columns} scroll={state.dialogs.helpScroll} />;
  } else if (overlay === 'delete') {
    top = <DeleteDialog state={state} height={L.top} width={columns} />;
  } else if (overlay === 'quit' || overlay === 'split' || overlay === 'paste') {
    top = <ConfirmDialog state={state} height={L.top} width={columns} />;
  } else {
    top = (
      <Box height={L.top} width={columns}>
        {L.leftWidth > 0 ? (
          <Box flexDirection="column" width={L.leftWidth} height={L.top}>
            <WindowsPane state={state} width={L.leftWidth} height={L.windowsHeight} />
            {L.usersHeight > 0 ? <UsersPane state={state} active={state.focus === 'users'} width={L.leftWidth} height={L.usersHeight} /> : null}
          </Box>
        ) : null}
        <MessagesPane state={state} active={state.focus === 'messages'} width={L.messagesWidth} height={L.top} rows={L.messageRows} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" height={L.height} width={columns}>
      {top}
      <ComposePane state={state} active={panes && state.focus === 'compose'} width={columns} compact={L.compact} />
      <StatusBar state={state} width={columns} secure={secure} />
    </Box>
  );
}
