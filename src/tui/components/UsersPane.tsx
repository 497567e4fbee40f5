import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { colorFor } from '../colors.js';
import { printable } from '../text/printable.js';
import type { State } from '../state/index.js';

interface Props {
  state: State;
  /** Whether this pane has the focus. */
  active: boolean;
  width: number;
  height: number;
}

/** Accounts matching the filter (/who), one page at a time; the selection follows the name. */
export function UsersPane({ state, active, width, height }: Props) {
  const { users, convs, me } = state;
  const inner = Math.max(4, width - 2);
  const pages = Math.max(1, Math.ceil(users.total / users.pageSize));
  const filter = users.pattern ? ` ${printable(users.pattern)}` : '';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} width={width} height={height}>
      <Text bold wrap="truncate">
        {active ? '▶ ' : ''}Users{filter} ({users.total})
      </Text>
      <Box flexDirection="column" height={Math.max(1, height - 4)} overflow="hidden">
        {users.loaded && users.names.length === 0 ? (
          <Text dimColor wrap="truncate">
            {users.pattern ? `nobody matches ${printable(users.pattern)} (/who to reset)` : 'nobody yet'}
          </Text>
        ) : null}
        {users.names.map((name) => {
          const sel = name === users.selected;
          const n = convs.unread[name] ?? 0;
          const badge = n > 0 ? ` ${n}` : '';
          // ● online, ○ offline, once the server reports presence; nothing before.
          const dot = users.online === null ? '' : users.online.has(name) ? '● ' : '○ ';
          const label = (dot + printable(name === me ? `${name} (you)` : name)).slice(0, Math.max(1, inner - 2 - badge.length));
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
        page {users.page + 1}/{pages} {keyLabel(Command.UsersPageUp)}/{keyLabel(Command.UsersPageDown)}
      </Text>
    </Box>
  );
}
