import { Box, Text } from 'ink';
import type { KeyContext, KeyLike } from '../keyContext.js';
import { parseCompose, type State } from '../state.js';
import { TextField } from './TextField.js';

interface Props {
  state: State;
  active: boolean;
  width: number;
}

/** The line being written; Enter sends it to the chosen user or to `@name`. */
export function ComposePane({ state, active, width }: Props) {
  const { compose } = state;
  const to = /^@(\S+)/.exec(compose.line.text)?.[1] ?? compose.to;
  const inner = Math.max(10, width - 4);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={active ? 'cyan' : 'gray'} height={4} width={width}>
      <Box>
        <Text bold>{active ? '▶ ' : ''}To: </Text>
        {to ? <Text color="cyan">{to}</Text> : <Text dimColor>(pick a user, or type @name message)</Text>}
        {compose.error ? (
          <Text color="red" wrap="truncate">
            {'  ✗ '}
            {compose.error}
          </Text>
        ) : (
          <Text dimColor>{`  ${compose.line.text.length > 0 ? compose.line.text.length + ' chars' : ''}`}</Text>
        )}
      </Box>
      <Box>
        <Text color={active ? 'cyan' : 'gray'}>{'> '}</Text>
        <TextField line={compose.line} width={inner} focused={active} placeholder="Tab here to write" />
      </Box>
    </Box>
  );
}

/** Keys while the compose pane has the focus. */
export function composeKeys(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  const { compose } = s;
  if (key.escape) return dispatch({ type: 'focus', pane: 'inbox' });
  if (key.upArrow) return dispatch({ type: 'history', dir: -1 });
  if (key.downArrow) return dispatch({ type: 'history', dir: 1 });
  if (key.return) {
    const p = parseCompose(compose.line.text, compose.to);
    if ('error' in p) return dispatch({ type: 'composeError', text: p.error });
    return ctx.send(p.recipient, p.content);
  }
  dispatch({ type: 'edit', field: 'compose', input, key });
}
