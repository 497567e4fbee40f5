import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { CONTENT_MAX } from '../text/unicode.js';
import { printable } from '../text/printable.js';
import { textWidth } from '../text/width.js';
import { composeBytes, composeTarget, type State } from '../state/index.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  active: boolean;
  width: number;
  /** Short window: no border, two rows. */
  compact: boolean;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The longest of these that fits `room` columns (the last one otherwise): a label is shortened, never cut. */
const fitting = (room: number, ...labels: string[]): string => labels.find((l) => textWidth(l) <= room) ?? labels.at(-1)!;

/** What the head line says after "To: …": an error, the Tab matches, a pasted draft, or the byte counter. */
function status(state: State, room: number): { text: string; color?: string; bold?: boolean; dim?: boolean } | null {
  const { compose, convs } = state;
  if (compose.error) return { text: `  ✗ ${printable(compose.error)}`, color: 'red' };
  const c = compose.completion;
  if (c && c.matches.length > 1) {
    // The match Tab gave, then the ones the next Tabs give, as many as fit; where it is in the list.
    const total = c.matches.length + c.more;
    let text = `  ${keyLabel(Command.Complete)} ${c.index + 1}/${total}${c.more > 0 ? '+' : ''}:`;
    for (let k = 0; k < c.matches.length; k++) {
      const m = c.matches[(c.index + k) % c.matches.length]!;
      const next = `${text} ${k === 0 ? `[${m}]` : m}`;
      if (textWidth(next) > room) break;
      text = next;
    }
    return { text, color: 'cyan' };
  }
  const text = compose.line.text;
  const { bytes, over } = composeBytes(text, convs.view);
  if (text.includes('\n')) {
    const lines = text.split('\n').length;
    const send = keyLabel(Command.Send);
    const clear = keyLabel(Command.KillToStart);
    return { text: fitting(room, `  ${lines} lines pasted: ${send} to send or split, ${clear} clears`, `  ${lines} lines: ${send} sends`), color: 'yellow' };
  }
  if (over > 0) {
    const send = keyLabel(Command.Send);
    return {
      text: fitting(room, `  ${bytes}/${CONTENT_MAX}: ${plural(over, 'byte')} over, ${send} offers to split`, `  ${bytes}/${CONTENT_MAX}: ${plural(over, 'byte')} over`, `  ${bytes}/${CONTENT_MAX} +${over}`),
      color: 'red',
      bold: true,
    };
  }
  return bytes > 0 ? { text: `  ${bytes}/${CONTENT_MAX}`, dim: true } : null;
}

/** Who the line goes to, how many of a message's bytes it takes, and the line itself. */
export function ComposePane({ state, active, width, compact }: Props) {
  const { compose, convs } = state;
  const target = composeTarget(compose.line.text, convs.view);
  const inner = Math.max(4, width - (compact ? 2 : 4));
  const to = target === null ? '(command)' : target.recipient ? `${target.action ? '* ' : ''}${printable(target.recipient)}` : '(inbox: /msg NAME text, /query NAME)';
  const head = `${active ? '▶ ' : ''}To: `;
  const s = status(state, inner - textWidth(head + to));
  const headLine = (
    <Box height={1} overflow="hidden">
      <Text wrap="truncate">
        <Text bold>{head}</Text>
        {target?.recipient ? <Text color="cyan">{to}</Text> : <Text dimColor>{to}</Text>}
        {s ? (
          <Text color={s.color} bold={s.bold} dimColor={s.dim}>
            {s.text}
          </Text>
        ) : null}
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
        {headLine}
        {input}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} height={4} width={width}>
      {headLine}
      {input}
    </Box>
  );
}
