import { Box, Text } from 'ink';
import { helpSections } from '../keys/docs.js';
import { Command, keyLabel } from '../keys/keymap.js';
import { wrapWords } from '../text/wrap.js';

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

/** Every key and command as lines of at most `width` columns: keys and descriptions wrap, never cut. */
export function helpLines(width: number): HelpLine[] {
  const room = Math.max(10, width - KEY_COLUMN - 2);
  const out: HelpLine[] = [];
  for (const section of helpSections()) {
    out.push({ head: true, key: '', text: section.title });
    for (const [k, what] of section.rows) {
      const keys = wrapWords(k, KEY_COLUMN - 1);
      const text = wrapWords(what, room);
      for (let i = 0; i < Math.max(keys.length, text.length); i++) out.push({ key: keys[i] ?? '', text: text[i] ?? '' });
    }
  }
  return out;
}

/** How far the overlay of this size can scroll. */
export const helpMax = (height: number, width: number): number => Math.max(0, helpLines(Math.max(10, width - 4)).length - Math.max(1, height - 3));

/** The keys that scroll, as the title says them. */
const scrollKeys = [Command.HelpLineUp, Command.HelpLineDown, Command.HelpPageUp, Command.HelpPageDown].map(keyLabel).join('/');

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
        {`Help${more || start > 0 ? ` · ${scrollKeys} scroll` : ''} · ${keyLabel(Command.HelpClose)} closes`}
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
