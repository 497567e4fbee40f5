import { Box, Text } from 'ink';
import { KEYS } from '../keys.js';

interface Props {
  height: number;
  width: number;
}

/** Lists every key; any key closes it (see routeKey). */
export function HelpOverlay({ height, width }: Props) {
  const column = Math.max(30, Math.floor((width - 4) / 2));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" height={height} paddingX={1} overflow="hidden">
      <Box flexShrink={0}>
        <Text bold color="cyan" wrap="truncate">
          Keys — press any key to close
        </Text>
      </Box>
      <Box flexDirection="row" flexWrap="wrap">
      {KEYS.map((group) => (
        <Box key={group.where} flexDirection="column" width={column} flexShrink={0}>
          <Text bold>{group.where}</Text>
          {group.keys.map(([k, what]) => (
            <Text key={k} wrap="truncate">
              {'  '}
              <Text color="yellow">{k.padEnd(20)}</Text>
              {what}
            </Text>
          ))}
        </Box>
      ))}
      </Box>
    </Box>
  );
}
