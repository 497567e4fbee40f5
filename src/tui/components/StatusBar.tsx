import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { printable } from '../text/printable.js';
import { textWidth } from '../text/width.js';
import { activity, type State } from '../state/index.js';

interface Props {
  state: State;
  width: number;
  /** The connection is TLS (termchat --tls). */
  secure?: boolean;
}

interface Segment {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
}

/**
 * One line: connection, who you are (when logged in), the windows with unread messages (irssi's
 * activity list), waiting messages, the last error or notice, key hints. The hints are left out
 * rather than cut when the line is too narrow for them.
 */
export function StatusBar({ state, width, secure = false }: Props) {
  const server = secure ? `TLS ${state.server}` : state.server;
  const main = state.screen === 'main';
  const act = main ? activity(state.convs) : [];
  const error = main ? (state.compose.error ?? state.error) : state.error;
  const conn: Segment =
    state.conn === 'connected'
      ? { text: `● ${server}`, color: 'green' }
      : state.conn === 'connecting'
        ? { text: `◌ connecting ${server}`, color: 'yellow' }
        : { text: `○ disconnected ${server}`, color: 'red' };
  const segments: Segment[] = [conn];
  if (main && state.me) segments.push({ text: ` │ ${state.me}` });
  if (act.length > 0) segments.push({ text: ` [Act: ${act.join(',')}]`, color: 'yellow', bold: true });
  if (main && state.waiting > 0) segments.push({ text: ` │ ${state.waiting} waiting (${keyLabel(Command.Fetch)})`, color: 'yellow' });
  if (main && state.fetching) segments.push({ text: ' │ fetching…', color: 'yellow' });
  if (error) segments.push({ text: ` │ ${printable(error)}`, color: 'red' });
  else if (state.notice) segments.push({ text: ` │ ${printable(state.notice)}`, color: 'cyan' });
  const hint = main
    ? `${keyLabel(Command.Help)} help · ${keyLabel(Command.Quit)} quit`
    : `${keyLabel(Command.ToggleRegister)} register · ${keyLabel(Command.LoginQuit)} quit`;
  const used = 1 + segments.reduce((n, x) => n + textWidth(x.text), 0);
  if (used + textWidth(` │ ${hint}`) <= width) segments.push({ text: ` │ ${hint}`, dim: true });
  // Ctrl-L: ink skips a frame equal to the last one, so the repaint after a clear must differ;
  // the colour of this leading space alternates with each redraw (invisible, but a new frame).
  const repaint = <Text color={state.redraws % 2 === 0 ? 'white' : 'gray'}> </Text>;
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {repaint}
        {segments.map((x, i) => (
          <Text key={i} color={x.color} bold={x.bold} dimColor={x.dim}>
            {x.text}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
