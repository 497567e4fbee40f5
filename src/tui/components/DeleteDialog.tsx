import { Box, Text } from 'ink';
import { Command, keyLabel, keysHint } from '../keys/keymap.js';
import type { State } from '../state/index.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  height: number;
  width: number;
}

/** Deleting the account: the password first, then a confirmation if messages would be discarded. */
export function DeleteDialog({ state, height, width }: Props) {
  const { del } = state.dialogs;
  return (
    <Box flexDirection="column" height={height} width={width} alignItems="center" justifyContent="center" overflow="hidden">
      <Box flexDirection="column" borderStyle="double" borderColor="red" paddingX={1} width={Math.min(64, width)}>
        <Text bold color="red">
          Delete account {state.me}
        </Text>
        <Text wrap="wrap">Messages you sent stay with their recipients, shown as from a deleted account.</Text>
        {del.step === 'confirm' ? (
          <>
            <Text color="yellow">
              {del.waiting} waiting message{del.waiting === 1 ? '' : 's'} will be discarded.
            </Text>
            <Text bold>{`Delete the account for good? ${keysHint(Command.DeleteYes)} / ${keysHint(Command.DeleteNo)}`}</Text>
          </>
        ) : (
          <Box>
            <Text>Password: </Text>
            <TextField line={del.password} width={Math.max(4, Math.min(30, width - 16))} focused={del.step === 'password'} mask />
          </Box>
        )}
        {del.step === 'busy' ? <Text color="yellow">Working…</Text> : null}
        {del.step === 'password' ? <Text dimColor>{`${keyLabel(Command.DeleteContinue)}: continue · ${keyLabel(Command.DeleteCancel)}: cancel`}</Text> : null}
        {del.error ? <Text color="red">{del.error}</Text> : null}
      </Box>
    </Box>
  );
}
