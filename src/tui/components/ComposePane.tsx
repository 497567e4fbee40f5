import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { CONTENT_MAX } from '../text/unicode.js';
import { printable } from '../text/printable.js';
import { composeBytes, composeTarget, type State } from '../state/index.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  active: boolean;
  width: number;
  /** Short window: no border, two rows. */
  compact: boolean;
}

/** Who the line goes to, how many of a message's bytes it takes, and the line itself. */
export function ComposePane({ state, active, width, compact }: Props) {
  const { compose, convs } = state;
  const text = compose.line.text;
  const command = text.startsWith('/') && !text.startsWith('//') && !/^\/msg\s/i.test(text);
  const to = command ? null : composeTarget(text, convs.view).recipient;
  const { bytes, over } = composeBytes(text, convs.view);
  const inner = Math.max(4, width - (compact ? 2 : 4));
  const counter =
    over > 0 ? (
      <Text color="red" bold>{`  ${bytes}/${CONTENT_MAX}: ${over} bytes over, ${keyLabel(Command.Send)} offers to split`}</Text>
    ) : bytes > 0 ? (
      <Text dimColor>{`  ${bytes}/${CONTENT_MAX}`}</Text>
    ) : null;
  const head = (
    <Box height={1} overflow="hidden">
      <Text wrap="truncate">
        <Text bold>{active ? '▶ ' : ''}To: </Text>
        {command ? (
          <Text dimColor>(command)</Text>
        ) : to ? (
          <Text color="cyan">{printable(to)}</Text>
        ) : (
          <Text dimColor>(inbox: /msg NAME text, /query NAME)</Text>
        )}
        {compose.error ? <Text color="red">{`  ✗ ${printable(compose.error)}`}</Text> : counter}
      </Text>
    </Box>
  );
  const input = (
    <Box height={1}>
      <Text color={active ? 'cyan' : 'gray'}>{'> '}</Text>
      <TextField line={compose.line} width={inner - 2} focused placeholder="type a message, /help for commands" />
    </Box>
  );
  if (compact) {
    return (
      <Box flexDirection="column" height={2} width={width}>
        {head}
        {input}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} height={4} width={width}>
      {head}
      {input}
    </Box>
  );
}
