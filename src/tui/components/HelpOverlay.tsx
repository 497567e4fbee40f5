import { Box, Text } from 'ink';
import type { KeyContext, KeyLike } from '../keyContext.js';
import { COMMANDS, KEYS } from '../keys.js';
import { wrapWords } from '../text/wrap.js';
import type { State } from '../state/index.js';

interface Props {
  height: number;
  width: number;
  scroll: number;
}

interface HelpLine {
  readonly head?: boolean;
  readonly key: string;
  readonly text: string;
}

const KEY_COLUMN = 20;

/** Every key and command as lines of at most `width` columns: descriptions wrap, never cut. */
export function helpLines(width: number): HelpLine[] {
  const room = Math.max(10, width - KEY_COLUMN - 2);
  const out: HelpLine[] = [];
  const add = (k: string, what: string) =>
    wrapWords(what, room).forEach((t, i) => out.push({ key: i === 0 ? k : '', text: t }));
  for (const group of KEYS) {
    out.push({ head: true, key: '', text: group.where });
    for (const [k, what] of group.keys) add(k, what);
  }
  out.push({ head: true, key: '', text: 'Commands' });
  for (const [c, what] of COMMANDS) add(c, what);
  return out;
}

/** How far the overlay of this size can scroll. */
export const helpMax = (height: number, width: number): number => Math.max(0, helpLines(Math.max(10, width - 4)).length - Math.max(1, height - 3));

/** Keys and commands, scrolled with Up / Down / PgUp / PgDn; any other key closes. */
export function HelpOverlay({ height, width, scroll }: Props) {
  const inner = Math.max(10, width - 4);
  const lines = helpLines(inner);
  const rows = Math.max(1, height - 3);
  const start = Math.max(0, Math.min(scroll, lines.length - rows));
  const more = start + rows < lines.length;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" height={height} width={width} paddingX={1}>
      <Text bold color="cyan" wrap="truncate">
        {`Help${more || start > 0 ? ' · Up/Down/PgUp/PgDn scroll' : ''} · any other key closes`}
      </Text>
      <Box flexDirection="column" height={rows} overflow="hidden">
        {lines.slice(start, start + rows).map((l, i) =>
          l.head ? (
            <Text key={i} bold wrap="truncate">
              {l.text}
            </Text>
          ) : (
            <Text key={i} wrap="truncate">
              <Text color="yellow">{l.key.padEnd(KEY_COLUMN).slice(0, KEY_COLUMN)}</Text>
              {l.text}
            </Text>
          ),
        )}
      </Box>
    </Box>
  );
}

/** Keys while help is open. */
export function helpKeys(s: State, _input: string, key: KeyLike, ctx: KeyContext): void {
  const { dispatch } = ctx;
  const max = ctx.helpMax;
  if (key.upArrow) return dispatch({ type: 'helpScroll', delta: -1, max });
  if (key.downArrow) return dispatch({ type: 'helpScroll', delta: 1, max });
  if (key.pageUp) return dispatch({ type: 'helpScroll', delta: -10, max });
  if (key.pageDown) return dispatch({ type: 'helpScroll', delta: 10, max });
  void s;
  dispatch({ type: 'overlay', overlay: 'none' });
}
