import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import { printable } from '../text/printable.js';
import { activity, type State } from '../state/index.js';

interface Props {
  state: State;
  width: number;
  /** The connection is TLS (termchat --tls). */
  secure?: boolean;
}

/** One line: connection, who you are (when logged in), the windows with unread messages (irssi's activity list), waiting messages, the last error or notice, key hints. */
export function StatusBar({ state, width, secure = false }: Props) {
  const server = secure ? `TLS ${state.server}` : state.server;
  const conn =
    state.conn === 'connected' ? (
      <Text color="green">● {server}</Text>
    ) : state.conn === 'connecting' ? (
      <Text color="yellow">◌ connecting {server}</Text>
    ) : (
      <Text color="red">○ disconnected {server}</Text>
    );
  const main = state.screen === 'main';
  const act = main ? activity(state.convs) : [];
  const error = main ? (state.compose.error ?? state.error) : state.error;
  const hint = main
    ? `${keyLabel(Command.Help)} help · ${keyLabel(Command.Quit)} quit`
    : `${keyLabel(Command.ToggleRegister)} register · ${keyLabel(Command.LoginQuit)} quit`;
  // Ctrl-L: ink skips a frame equal to the last one, so the repaint after a clear must differ;
  // the colour of this leading space alternates with each redraw (invisible, but a new frame).
  const repaint = <Text color={state.redraws % 2 === 0 ? 'white' : 'gray'}> </Text>;
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {repaint}
        {conn}
        {main && state.me ? <Text> │ {state.me}</Text> : null}
        {act.length > 0 ? <Text color="yellow" bold>{` [Act: ${act.join(',')}]`}</Text> : null}
        {main && state.waiting > 0 ? <Text color="yellow"> │ {state.waiting} waiting ({keyLabel(Command.Fetch)})</Text> : null}
        {main && state.fetching ? <Text color="yellow"> │ fetching…</Text> : null}
        {error ? <Text color="red"> │ {printable(error)}</Text> : state.notice ? <Text color="cyan"> │ {printable(state.notice)}</Text> : null}
        <Text dimColor> │ {hint}</Text>
      </Text>
    </Box>
  );
}
