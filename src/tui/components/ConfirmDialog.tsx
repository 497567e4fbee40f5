import { Box, Text } from 'ink';
import { isQuitLine } from '../commands.js';
import { Command, keysHint } from '../keys/keymap.js';
import { CONTENT_MAX, wireBytes } from '../text/unicode.js';
import { printable } from '../text/printable.js';
import { pendingCount, type State } from '../state/index.js';

interface Props {
  state: State;
  height: number;
  width: number;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Pasted lines shown before they are sent. */
const PREVIEW_LINES = 4;

/** The questions: quit with a draft or unsent messages, send a too-long message as several, send pasted lines. */
export function ConfirmDialog({ state, height, width }: Props) {
  const { dialogs } = state;
  const w = Math.min(72, width);
  let body;
  if (dialogs.overlay === 'split' && dialogs.split) {
    const { parts, recipient } = dialogs.split;
    body = (
      <>
        <Text bold wrap="wrap">
          Too long for one message ({CONTENT_MAX} bytes each).
        </Text>
        <Text wrap="wrap">{`Send it to ${recipient} as ${parts.length} messages, split between words (${parts.map((p) => wireBytes(p)).join(' + ')} bytes)?`}</Text>
        <Text dimColor wrap="wrap">{`${keysHint(Command.SplitYes)}: send them · ${keysHint(Command.SplitNo)}: keep editing`}</Text>
      </>
    );
  } else if (dialogs.overlay === 'paste' && dialogs.paste) {
    const { lines, recipient } = dialogs.paste;
    const shown = lines.slice(0, PREVIEW_LINES).map((l) => `│ ${printable(l)}`);
    if (lines.length > PREVIEW_LINES) shown.push(`│ … ${plural(lines.length - PREVIEW_LINES, 'more line')}`);
    body = (
      <>
        <Text bold wrap="wrap">{`Send ${lines.length} pasted lines to ${recipient}?`}</Text>
        {shown.map((l, i) => (
          <Text key={i} dimColor wrap="truncate">
            {l}
          </Text>
        ))}
        <Text wrap="wrap">{`${keysHint(Command.PasteJoin)}: as one message · ${keysHint(Command.PasteLines)}: split, one message per line`}</Text>
        <Text dimColor wrap="wrap">{`${keysHint(Command.PasteEdit)}: keep editing · ${keysHint(Command.PasteDiscard)}: cancel, send nothing`}</Text>
      </>
    );
  } else {
    const text = state.compose.line.text;
    const draft = text.trim() !== '' && !isQuitLine(text);
    const pending = pendingCount(state.convs);
    body = (
      <>
        <Text bold>Quit?</Text>
        {draft ? <Text wrap="wrap">The message line has text that was not sent.</Text> : null}
        {pending > 0 ? (
          <Text color="yellow" wrap="wrap">
            {state.outboxKept
              ? `${plural(pending, 'message')} not accepted by the server yet: kept in the outbox, sent when you next log in.`
              : `${plural(pending, 'message')} not accepted by the server yet will be lost (no history file to keep them in).`}
          </Text>
        ) : null}
        <Text dimColor wrap="wrap">{`${keysHint(Command.QuitYes)}: quit · ${keysHint(Command.QuitNo)}: back`}</Text>
      </>
    );
  }
  return (
    <Box flexDirection="column" height={height} width={width} alignItems="center" justifyContent="center" overflow="hidden">
      <Box flexDirection="column" borderStyle="round" borderColor="yellow" paddingX={1} width={w}>
        {body}
      </Box>
    </Box>
  );
}
