import { Box, Text } from 'ink';
import type { KeyContext, KeyLike } from '../keyContext.js';
import { colorFor } from '../colors.js';
import { visibleLines } from '../inboxLayout.js';
import type { State } from '../state.js';

interface Props {
  state: State;
  active: boolean;
  width: number;
  height: number;
}

/** Messages, newest at the bottom; only the visible slice is rendered. */
export function InboxPane({ state, active, width, height }: Props) {
  const { inbox } = state;
  const inner = Math.max(10, width - 2);
  const rows = Math.max(1, height - 4);
  const lines = visibleLines(inbox.entries, inbox.scroll, inner, rows);
  const title = `${active ? '▶ ' : ''}Inbox (${inbox.entries.length})` + (state.waiting > 0 ? ` · ${state.waiting} waiting: press f` : '');
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} flexGrow={1} height={height}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      <Box flexDirection="column" height={rows} justifyContent="flex-end">
        {inbox.entries.length === 0 ? <Text dimColor>No messages yet.</Text> : null}
        {lines.map((l) => (
          <Text key={l.key} wrap="truncate">
            {l.time !== undefined ? (
              <>
                <Text dimColor>{l.time} </Text>
                <Text color={l.own ? 'gray' : colorFor(l.colorName ?? '')} bold={!l.own}>
                  {l.who}
                </Text>
                <Text>: </Text>
              </>
            ) : (
              '      '
            )}
            <Text dimColor={l.pending}>{l.text}</Text>
            {l.pending ? <Text color="yellow"> …</Text> : null}
          </Text>
        ))}
      </Box>
      <Text color="yellow" wrap="truncate">
        {inbox.scroll > 0
          ? (inbox.newBelow > 0 ? `▼ ${inbox.newBelow} new below` : `▼ ${inbox.scroll} more below`) + ' · End: newest'
          : ' '}
      </Text>
    </Box>
  );
}

/** Keys while the inbox has the focus. */
export function inboxKeys(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  if (key.ctrl) return;
  if (key.upArrow || input === 'k') return dispatch({ type: 'scroll', delta: -1 });
  if (key.downArrow || input === 'j') return dispatch({ type: 'scroll', delta: 1 });
  if (key.pageUp) return dispatch({ type: 'scrollPage', dir: -1 });
  if (key.pageDown) return dispatch({ type: 'scrollPage', dir: 1 });
  if (key.home || input === 'g') return dispatch({ type: 'scrollTo', where: 'top' });
  if (key.end || input === 'G') return dispatch({ type: 'scrollTo', where: 'bottom' });
}
