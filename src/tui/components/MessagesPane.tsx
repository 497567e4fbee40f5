import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { colorFor } from '../colors.js';
import { DELIVERY_MARK, type MessageLine } from '../messageLines.js';
import { printable } from '../text/printable.js';
import { screenLines, viewEntries, type State } from '../state/index.js';

interface Props {
  state: State;
  active: boolean;
  width: number;
  height: number;
  rows: number;
}

function Line({ l }: { l: MessageLine }) {
  if (l.date) {
    return (
      <Text dimColor wrap="truncate">
        {l.text}
      </Text>
    );
  }
  if (l.marker) {
    return (
      <Text color="red" wrap="truncate">
        {l.text}
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      {l.time !== undefined ? (
        <>
          <Text dimColor>{l.time} </Text>
          <Text color={l.own ? 'gray' : colorFor(l.colorName ?? '')} bold={!l.own}>
            {l.who}
          </Text>
          <Text>{l.action ? ' ' : ': '}</Text>
        </>
      ) : (
        '      '
      )}
      <Text dimColor={l.delivery === 'pending'}>{l.text}</Text>
      {l.delivery ? <Text color={l.delivery === 'pending' ? 'yellow' : 'gray'}>{DELIVERY_MARK[l.delivery]}</Text> : null}
    </Text>
  );
}

/** The messages of the view on screen (a conversation, the inbox, or search results); only the visible lines are rendered. */
export function MessagesPane({ state, active, width, height, rows }: Props) {
  const { convs } = state;
  // The pane's own row count: the reducer's may lag a resize by one render.
  const lines = screenLines({ ...convs, rows });
  const count = viewEntries(convs).length;
  const name = convs.search
    ? `Search "${printable(convs.search.query)}" (${count} found · ${keyLabel(Command.Back)} closes)`
    : convs.view === null
      ? `Inbox (${count})`
      : `${printable(convs.view)} (${count})`;
  const title = `${active ? '▶ ' : ''}${name}` + (state.waiting > 0 ? ` · ${state.waiting} waiting: ${keyLabel(Command.Fetch)}` : '');
  let footer = ' ';
  if (convs.scroll > 0) {
    // The keys that go back down from here: End only in this pane (elsewhere it moves the cursor in the line).
    const keys = active ? `${keyLabel(Command.PageDown)} / ${keyLabel(Command.ScrollBottom)}` : keyLabel(Command.PageDown);
    footer = (convs.newBelow > 0 ? `▼ ${convs.newBelow} new below` : `▼ ${convs.scroll} more lines below`) + ` · ${keys}`;
  }
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} width={width} height={height}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      <Box flexDirection="column" height={rows} justifyContent="flex-end" overflow="hidden">
        {count === 0 ? (
          <Text dimColor wrap="truncate">
            {convs.search ? 'Nothing found.' : convs.view === null ? 'No messages yet.' : `No messages with ${printable(convs.view)} yet.`}
          </Text>
        ) : null}
        {lines.map((l) => (
          <Line key={l.key} l={l} />
        ))}
      </Box>
      <Text color="yellow" wrap="truncate">
        {footer}
      </Text>
    </Box>
  );
}
