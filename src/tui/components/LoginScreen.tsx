import { Box, Text } from 'ink';
import type { KeyContext, KeyLike } from '../keyContext.js';
import type { State } from '../state.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  height: number;
}

/** Username and masked password; Enter logs in, Ctrl-R switches to registering a new account. */
export function LoginScreen({ state, height }: Props) {
  const { login } = state;
  const register = login.mode === 'register';
  const conn =
    state.conn === 'connected' ? <Text color="green">connected</Text> : <Text color="yellow">{state.conn}…</Text>;
  return (
    <Box flexDirection="column" height={height} alignItems="center" justifyContent="center">
      <Box flexDirection="column" borderStyle="round" borderColor={register ? 'magenta' : 'cyan'} paddingX={2} paddingY={1} width={60}>
        <Text bold>{register ? 'termchat — create an account' : 'termchat — log in'}</Text>
        <Text>
          Server {state.server} ({conn})
        </Text>
        <Text> </Text>
        <Box>
          <Text color={login.field === 'username' ? 'cyan' : undefined}>{login.field === 'username' ? '› ' : '  '}Username: </Text>
          <TextField line={login.username} width={30} focused={login.field === 'username'} />
        </Box>
        <Box>
          <Text color={login.field === 'password' ? 'cyan' : undefined}>{login.field === 'password' ? '› ' : '  '}Password: </Text>
          <TextField line={login.password} width={30} focused={login.field === 'password'} mask />
        </Box>
        <Text> </Text>
        <Text>
          <Text inverse={!register}>{' Log in '}</Text>
          {'  '}
          <Text inverse={register}>{' Register '}</Text>
          <Text dimColor>{'  (Ctrl-R switches)'}</Text>
        </Text>
        <Text dimColor>Tab: next field · Enter: {register ? 'register' : 'log in'} · Ctrl-C: quit</Text>
        {login.busy ? <Text color="yellow">{register ? 'Registering…' : 'Logging in…'}</Text> : null}
        {login.error ? <Text color="red">{login.error}</Text> : null}
      </Box>
    </Box>
  );
}

/** Keys on the login screen. */
export function loginKeys(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { login } = s;
  const { dispatch } = ctx;
  if (login.busy) return;
  if (key.ctrl && input === 'r') return dispatch({ type: 'toggleRegister' });
  if (key.tab || key.upArrow || key.downArrow) return dispatch({ type: 'loginField' });
  if (key.return) {
    if (login.field === 'username' && login.password.text === '') return dispatch({ type: 'loginField' });
    const u = login.username.text.trim();
    if (u === '') return dispatch({ type: 'loginFailed', error: 'Type a username.' });
    return ctx.login(u, login.password.text, login.mode === 'register');
  }
  dispatch({ type: 'edit', field: login.field, input, key });
}
