import { Box, Text } from 'ink';
import type { KeyContext, KeyLike } from '../keyContext.js';
import { colorFor } from '../colors.js';
import type { State } from '../state.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  /** Whether this pane has the focus. */
  active: boolean;
  width: number;
  height: number;
}

/** Accounts matching the filter, one page at a time, with unread counts per sender. */
export function UsersPane({ state, active, width, height }: Props) {
  const { users, unread, me } = state;
  const inner = Math.max(4, width - 2);
  const pages = Math.max(1, Math.ceil(users.total / users.pageSize));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} width={width} height={height}>
      <Text bold wrap="truncate">
        {active ? '▶ ' : ''}Users ({users.total})
      </Text>
      <Box>
        <Text color={users.editingFilter ? 'cyan' : 'gray'}>/</Text>
        <TextField line={users.filter} width={inner - 1} focused={users.editingFilter} placeholder="filter" />
      </Box>
      <Box flexDirection="column" flexGrow={1}>
        {users.names.map((name, i) => {
          const sel = i === users.selected;
          const n = unread[name] ?? 0;
          const badge = n > 0 ? ` ${n}` : '';
          const label = (name === me ? `${name} (you)` : name).slice(0, inner - 2 - badge.length);
          return (
            <Text key={name} wrap="truncate" inverse={sel && active}>
              {sel ? '>' : ' '} <Text color={colorFor(name)}>{label}</Text>
              {' '.repeat(Math.max(0, inner - 2 - label.length - badge.length))}
              <Text color="yellow" bold>
                {badge}
              </Text>
            </Text>
          );
        })}
      </Box>
      <Text dimColor wrap="truncate">
        page {users.page + 1}/{pages} n/p
      </Text>
    </Box>
  );
}

/** Keys while the users pane has the focus. */
export function usersKeys(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  if (s.users.editingFilter) {
    if (key.return) return dispatch({ type: 'filterCommit' });
    if (key.escape) return dispatch({ type: 'filterEdit', on: false });
    return dispatch({ type: 'edit', field: 'filter', input, key });
  }
  if (key.ctrl) return;
  if (key.upArrow || input === 'k') return dispatch({ type: 'userMove', delta: -1 });
  if (key.downArrow || input === 'j') return dispatch({ type: 'userMove', delta: 1 });
  if (key.pageUp || input === 'p') return dispatch({ type: 'usersPage', delta: -1 });
  if (key.pageDown || input === 'n') return dispatch({ type: 'usersPage', delta: 1 });
  if (key.return) return dispatch({ type: 'chooseUser' });
  if (input === '/') return dispatch({ type: 'filterEdit', on: true });
  if (input === 'r') return ctx.refreshUsers();
}
