import { Box, Text } from 'ink';
import { Command, keysHint } from '../keys/keymap.js';
import { CONTENT_MAX, wireBytes } from '../text/unicode.js';
import type { State } from '../state/index.js';

interface Props {
  state: State;
  height: number;
  width: number;
}

/** The y / n questions: quit with a draft, send a too-long message as several. */
export function ConfirmDialog({ state, height, width }: Props) {
  const { dialogs } = state;
  const w = Math.min(64, width);
  let body;
  if (dialogs.overlay === 'split' && dialogs.split) {
    const { parts, recipient } = dialogs.split;
    body = (
      <>
        <Text bold wrap="wrap">
          Too long for one message ({CONTENT_MAX} bytes each).
        </Text>
        <Text wrap="wrap">{`Send it to ${recipient} as ${parts.length} messages, split between words (${parts.map((p) => wireBytes(p)).join(' + ')} bytes)?`}</Text>
        <Text dimColor>{`${keysHint(Command.SplitYes)}: send them · ${keysHint(Command.SplitNo)}: keep editing`}</Text>
      </>
    );
  } else {
    body = (
      <>
        <Text bold wrap="wrap">
          Quit? The message line has text that was not sent.
        </Text>
        <Text dimColor>{`${keysHint(Command.QuitYes)}: quit · ${keysHint(Command.QuitNo)}: back`}</Text>
      </>
    );
  }
  return (
    <Box flexDirection="column" height={height} width={width} alignItems="center" justifyContent="center">
      <Box flexDirection="column" borderStyle="round" borderColor="yellow" paddingX={1} width={w}>
        {body}
      </Box>
    </Box>
  );
}
