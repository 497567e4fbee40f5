import { Box, Text } from 'ink';
import { colorFor } from '../colors.js';
import { printable } from '../text/printable.js';
import { textWidth } from '../text/width.js';
import { windows, type State } from '../state/index.js';

interface Props {
  state: State;
  width: number;
  height: number;
}

/**
 * Which of `total` windows a list of `room` rows shows so that window `at` is among them: all when
 * they fit; otherwise a run of them, with a row taken at each end that has more.
 */
export function listWindow(total: number, at: number, room: number): { start: number; rows: number } {
  if (total <= room) return { start: 0, rows: total };
  if (room < 3) return { start: Math.min(at, total - 1), rows: 1 };
  if (at < room - 1) return { start: 0, rows: room - 1 };
  if (at >= total - (room - 1)) return { start: total - (room - 1), rows: room - 1 };
  const rows = room - 2;
  return { start: Math.max(1, Math.min(at - Math.floor(rows / 2), total - rows - 1)), rows };
}

/** How many of these windows have unread messages. */
const unreadIn = (state: State, list: ReadonlyArray<string | null>): number => list.filter((v) => v !== null && (state.convs.unread[v] ?? 0) > 0).length;

/**
 * The windows (names shown printable: a server may send any byte in one): 1 the inbox, then one per
 * conversation, with presence (● online, ○ offline, once the server says) and unread counts; the one
 * on screen is marked. When they do not all fit, a line at the top and at the bottom says how many
 * more there are and how many of those have something unread.
 */
export function WindowsPane({ state, width, height }: Props) {
  const { convs, users } = state;
  const list = windows(convs);
  const room = Math.max(1, height - 3);
  const inner = Math.max(4, width - 2);
  // Keep the window on screen in the list; the rows for the "more" lines come out of the room.
  const { start, rows } = listWindow(list.length, Math.max(0, list.indexOf(convs.view)), room);
  const above = list.slice(0, start);
  const below = list.slice(start + rows);
  const more = (n: number, arrow: string, part: ReadonlyArray<string | null>) => {
    const u = unreadIn(state, part);
    if (u === 0) return `${arrow} ${n} more`;
    return [`${arrow} ${n} more (${u} unread)`, `${arrow} ${n} more, ${u} new`, `${arrow} ${n} (${u} new)`].find((l) => textWidth(l) <= inner) ?? `${arrow}${n}/${u}`;
  };
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" width={width} height={height}>
      <Text bold wrap="truncate">
        Windows
      </Text>
      <Box flexDirection="column" height={room} overflow="hidden">
        {above.length > 0 ? (
          <Text color={unreadIn(state, above) > 0 ? 'yellow' : undefined} dimColor={unreadIn(state, above) === 0} wrap="truncate">
            {more(above.length, '▲', above)}
          </Text>
        ) : null}
        {list.slice(start, start + rows).map((v, k) => {
          const i = start + k;
          const n = v === null ? 0 : (convs.unread[v] ?? 0);
          const badge = n > 0 ? ` ${n}` : '';
          const dot = v === null || users.online === null ? '' : users.online.has(v) ? '●' : '○';
          const label = `${i + 1} ${v === null ? 'Inbox' : printable(v)}`.slice(0, Math.max(1, inner - 3 - badge.length));
          const here = v === convs.view;
          return (
            <Text key={v ?? ''} wrap="truncate" inverse={here}>
              {here ? '>' : ' '}
              <Text color={v === null ? undefined : colorFor(v)} bold={n > 0}>
                {label}
              </Text>
              {dot ? <Text color={dot === '●' ? 'green' : 'gray'}>{` ${dot}`}</Text> : '  '}
              {' '.repeat(Math.max(0, inner - 3 - label.length - badge.length))}
              <Text color="yellow" bold>
                {badge}
              </Text>
            </Text>
          );
        })}
        {below.length > 0 ? (
          <Text color={unreadIn(state, below) > 0 ? 'yellow' : undefined} dimColor={unreadIn(state, below) === 0} wrap="truncate">
            {more(below.length, '▼', below)}
          </Text>
        ) : null}
      </Box>
    </Box>
  );
}
