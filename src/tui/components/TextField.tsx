import { Text } from 'ink';
import type { Line } from '../lineEdit.js';

interface Props {
  line: Line;
  /** Columns available; long text scrolls sideways to keep the cursor in view. */
  width: number;
  focused: boolean;
  mask?: boolean;
  placeholder?: string;
}

/** One line of editable text with a block cursor when focused. */
export function TextField({ line, width, focused, mask, placeholder }: Props) {
  const text = mask ? '*'.repeat(line.text.length) : line.text;
  const w = Math.max(2, width);
  if (text === '' && !focused && placeholder) return <Text dimColor>{placeholder}</Text>;
  // Keep the cursor inside the window: scroll by the overflow.
  const start = Math.max(0, line.cursor - (w - 1));
  const visible = text.slice(start, start + w);
  const c = line.cursor - start;
  if (!focused) return <Text>{visible}</Text>;
  const before = visible.slice(0, c);
  const at = visible[c] ?? ' ';
  const after = visible.slice(c + 1);
  return (
    <Text>
      {before}
      <Text inverse>{at}</Text>
      {after}
    </Text>
  );
}
