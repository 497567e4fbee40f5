/** The screens: login/register, then users | inbox over compose, with a status bar. */
import { Box, useInput, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { ComposePane } from './components/ComposePane.js';
import { DeleteDialog } from './components/DeleteDialog.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { InboxPane } from './components/InboxPane.js';
import { LoginScreen } from './components/LoginScreen.js';
import { StatusBar } from './components/StatusBar.js';
import { UsersPane } from './components/UsersPane.js';
import type { Connect } from './session.js';
import type { KeyContext } from './keyContext.js';
import { routeInput } from './routeKey.js';
import { filterPattern, initialState, totalUnread, type State } from './state.js';
import { useChat } from './useChat.js';

export interface AppProps {
  connect: Connect;
  /** host:port, for display. */
  server: string;
  notice?: string | null;
  /** Called on q / Ctrl-C; the caller unmounts and restores the terminal. */
  onQuit: () => void;
  /** Ctrl-L: clear the screen so the next frame repaints everything. */
  onRedraw?: () => void;
  setTitle?: (title: string) => void;
  /** Start from this state instead of the login screen (tests, bench). */
  initial?: State;
  /** How often the user list is refreshed, ms. */
  usersRefreshMs?: number;
}

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

export function App({ connect, server, notice = null, onQuit, onRedraw, setTitle, initial, usersRefreshMs = 5000 }: AppProps) {
  const { state, get, dispatch, session } = useChat(connect, () => initial ?? initialState(server, notice));
  const { columns, rows } = useTerminalSize();
  const [tick, setTick] = useState(0);

  // One row short of the terminal: a frame exactly as tall as the screen makes ink 6.8 clear and
  // repaint everything on every update (ink#450).
  const height = Math.max(8, rows - 1);
  const topHeight = Math.max(6, height - 1 - 4);
  const usersWidth = Math.max(16, Math.min(28, Math.floor(columns * 0.28)));
  const inboxWidth = Math.max(12, columns - usersWidth);
  const usersPageSize = Math.max(1, topHeight - 5);
  const inboxPageSize = Math.max(1, topHeight - 4);

  useEffect(() => {
    dispatch({ type: 'layout', usersPageSize, inboxPageSize, inboxWidth: inboxWidth - 2 });
  }, [usersPageSize, inboxPageSize, inboxWidth]);

  const main = state.screen === 'main';
  const loggedIn = main && state.conn === 'connected';
  const { pattern, page, pageSize } = state.users;
  useEffect(() => {
    if (!loggedIn) return;
    void session.listAccounts(filterPattern(pattern), page * pageSize, pageSize);
  }, [loggedIn, pattern, page, pageSize, tick, state.me]);

  useEffect(() => {
    if (!loggedIn) return;
    const t = setInterval(() => setTick((n) => n + 1), usersRefreshMs);
    return () => clearInterval(t);
  }, [loggedIn, usersRefreshMs]);

  const unread = totalUnread(state);
  useEffect(() => {
    setTitle?.(state.me ? `termchat: ${state.me}${unread > 0 ? ` (${unread} unread)` : ''}` : 'termchat');
  }, [state.me, unread]);

  // After the screen is cleared, render once more so the whole frame is painted again.
  const [, setRepaints] = useState(0);
  useEffect(() => {
    if (state.redraws === 0) return;
    onRedraw?.();
    setRepaints((n) => n + 1);
  }, [state.redraws]);

  const ctx: KeyContext = {
    dispatch,
    login: (u, p, register) => void session.login(u, p, register),
    send: (recipient, content) => session.send(recipient, content),
    fetch: () => void session.fetchWaiting(),
    refreshUsers: () => setTick((n) => n + 1),
    deleteAccount: (pw, confirm) => void session.deleteAccount(pw, confirm),
    quit: onQuit,
  };
  // One always-active key handler, routing on the latest state (see routeKey.ts).
  useInput((input, key) => routeInput(get, input, key, ctx), { isActive: true });

  if (!main) {
    return (
      <Box flexDirection="column" height={height} width={columns}>
        <LoginScreen state={state} height={height - 1} />
        <StatusBar state={state} width={columns} />
      </Box>
    );
  }

  const panes = state.overlay === 'none';
  let top;
  if (state.overlay === 'help') {
    top = <HelpOverlay height={topHeight} width={columns} />;
  } else if (state.overlay === 'delete') {
    top = <DeleteDialog state={state} height={topHeight} />;
  } else {
    top = (
      <Box height={topHeight}>
        <UsersPane state={state} active={panes && state.focus === 'users'} width={usersWidth} height={topHeight} />
        <InboxPane state={state} active={panes && state.focus === 'inbox'} width={inboxWidth} height={topHeight} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" height={height} width={columns}>
      {top}
      <ComposePane state={state} active={panes && state.focus === 'compose'} width={columns} />
      <StatusBar state={state} width={columns} />
    </Box>
  );
}
