import { Text } from 'ink';
import type { Line } from '../lineEdit.js';
import { fieldView } from '../text/field.js';

interface Props {
  line: Line;
  /** Columns available; long text scrolls sideways to keep the cursor in view. */
  width: number;
  focused: boolean;
  mask?: boolean;
  placeholder?: string;
}

/** One line of editable text with a block cursor when focused, measured in terminal columns. */
export function TextField({ line, width, focused, mask, placeholder }: Props) {
  if (line.text === '' && !focused && placeholder) return <Text dimColor>{placeholder}</Text>;
  const { before, at, after } = fieldView(line.text, line.cursor, width, mask);
  if (!focused) return <Text>{before + (line.cursor < line.text.length ? at : '') + after}</Text>;
  return (
    <Text>
      {before}
      <Text inverse>{at}</Text>
      {after}
    </Text>
  );
}
