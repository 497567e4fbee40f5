import { Box, Text } from 'ink';
import { Command, keyLabel } from '../keys/keymap.js';
import type { State } from '../state/index.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  height: number;
  width: number;
  /** Short window: no padding or blank rows. */
  compact: boolean;
}

/** Username and masked password; Enter logs in, Ctrl-R switches to registering a new account. */
export function LoginScreen({ state, height, width, compact }: Props) {
  const { login } = state;
  const register = login.mode === 'register';
  const boxWidth = Math.min(60, width);
  const field = Math.max(4, boxWidth - (compact ? 2 : 6) - 14);
  const conn = state.conn === 'connected' ? <Text color="green">connected</Text> : <Text color="yellow">{state.conn}…</Text>;
  const blank = compact ? null : <Text> </Text>;
  const action = register ? 'Registering…' : 'Logging in…';
  return (
    <Box flexDirection="column" height={height} width={width} alignItems="center" justifyContent="center" overflow="hidden">
      <Box
        flexDirection="column"
        borderStyle="round"
        borderColor={register ? 'magenta' : 'cyan'}
        paddingX={compact ? 0 : 2}
        paddingY={compact ? 0 : 1}
        width={boxWidth}
      >
        <Text bold wrap="truncate">
          {register ? 'termchat — create an account' : 'termchat — log in'}
        </Text>
        <Text wrap="truncate">
          {state.server} ({conn})
        </Text>
        {blank}
        <Box>
          <Text color={login.field === 'username' ? 'cyan' : undefined}>{login.field === 'username' ? '› ' : '  '}Username: </Text>
          <TextField line={login.username} width={field} focused={login.field === 'username'} />
        </Box>
        <Box>
          <Text color={login.field === 'password' ? 'cyan' : undefined}>{login.field === 'password' ? '› ' : '  '}Password: </Text>
          <TextField line={login.password} width={field} focused={login.field === 'password'} mask />
        </Box>
        {blank}
        <Text dimColor wrap="wrap">
          {`${keyLabel(Command.LoginSubmit)}: ${register ? 'register' : 'log in'} · ${keyLabel(Command.LoginField)}: next field · ${keyLabel(Command.ToggleRegister)}: ${register ? 'log in instead' : 'register'}`}
        </Text>
        {login.busy ? <Text color="yellow">{state.conn === 'connected' ? action : `${action} as soon as the server answers`}</Text> : null}
        {login.info && !login.busy ? (
          <Text color="cyan" wrap="wrap">
            {login.info}
          </Text>
        ) : null}
        {login.error ? (
          <Text color="red" wrap="wrap">
            {login.error}
          </Text>
        ) : null}
      </Box>
    </Box>
  );
}
