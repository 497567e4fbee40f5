import { Box, Text } from 'ink';
import { colorFor } from '../colors.js';
import { printable } from '../text/printable.js';
import { windows, type State } from '../state/index.js';

interface Props {
  state: State;
  width: number;
  height: number;
}

/** The windows (names shown printable: a server may send any byte in one): 1 the inbox, then one per conversation, with unread counts; the one on screen is marked. */
export function WindowsPane({ state, width, height }: Props) {
  const { convs } = state;
  const list = windows(convs);
  const rows = Math.max(1, height - 3);
  // Keep the window on screen in the list when there are more than fit.
  const at = list.indexOf(convs.view);
  const start = Math.max(0, Math.min(at - rows + 1, list.length - rows));
  const inner = Math.max(4, width - 2);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" width={width} height={height}>
      <Text bold wrap="truncate">
        Windows
      </Text>
      <Box flexDirection="column" height={rows} overflow="hidden">
        {list.slice(Math.max(0, start), Math.max(0, start) + rows).map((v, k) => {
          const i = Math.max(0, start) + k;
          const n = v === null ? 0 : (convs.unread[v] ?? 0);
          const badge = n > 0 ? ` ${n}` : '';
          const label = `${i + 1} ${v === null ? 'Inbox' : printable(v)}`.slice(0, Math.max(1, inner - 1 - badge.length));
          const here = v === convs.view;
          return (
            <Text key={v ?? ''} wrap="truncate" inverse={here}>
              {here ? '>' : ' '}
              <Text color={v === null ? undefined : colorFor(v)} bold={n > 0}>
                {label}
              </Text>
              {' '.repeat(Math.max(0, inner - 1 - label.length - badge.length))}
              <Text color="yellow" bold>
                {badge}
              </Text>
            </Text>
          );
        })}
      </Box>
    </Box>
  );
}
