import { Box, Text } from 'ink';
import type { State } from '../state.js';

interface Props {
  state: State;
  width: number;
}

/** One line: connection, who you are, waiting messages, the last error, key hints. */
export function StatusBar({ state, width }: Props) {
  const conn =
    state.conn === 'connected' ? (
      <Text color="green">● {state.server}</Text>
    ) : state.conn === 'connecting' ? (
      <Text color="yellow">◌ connecting {state.server}</Text>
    ) : (
      <Text color="red">○ disconnected {state.server}</Text>
    );
  const error = state.compose.error ?? state.error;
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {conn}
        {state.me ? <Text> │ {state.me}</Text> : null}
        {state.waiting > 0 ? <Text color="yellow"> │ {state.waiting} waiting (f)</Text> : null}
        {state.fetching ? <Text color="yellow"> │ fetching…</Text> : null}
        {error ? <Text color="red"> │ {error}</Text> : state.notice ? <Text color="cyan"> │ {state.notice}</Text> : null}
        <Text dimColor> │ Tab pane · ? help · q quit</Text>
      </Text>
    </Box>
  );
}
