/** One editable line of text with a cursor, and the readline-like keys that edit it. */

export interface Line {
  readonly text: string;
  /** Index into text, 0..text.length. */
  readonly cursor: number;
}

/** The parts of an ink Key that line editing looks at. */
export interface EditKey {
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  delete?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  tab?: boolean;
  escape?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
}

export const emptyLine: Line = { text: '', cursor: 0 };

export const lineOf = (text: string): Line => ({ text, cursor: text.length });

/**
 * Applies one key (or one pasted chunk) to a line. Returns the same object when the key does not
 * edit, so callers can tell "handled" from "not mine".
 */
export function editLine(line: Line, input: string, key: EditKey, maxLength = Infinity): Line {
  const { text, cursor } = line;
  // ink reports the Backspace key (DEL, 0x7f) as key.delete; both erase before the cursor.
  if (key.backspace || key.delete || (key.ctrl && input === 'h')) {
    if (cursor === 0) return line;
    return { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 };
  }
  if (key.leftArrow) return { text, cursor: Math.max(0, cursor - 1) };
  if (key.rightArrow) return { text, cursor: Math.min(text.length, cursor + 1) };
  if (key.home || (key.ctrl && input === 'a')) return { text, cursor: 0 };
  if (key.end || (key.ctrl && input === 'e')) return { text, cursor: text.length };
  if (key.ctrl && input === 'u') return { text: text.slice(cursor), cursor: 0 };
  if (key.ctrl && input === 'k') return { text: text.slice(0, cursor), cursor };
  if (key.ctrl && input === 'w') {
    const start = wordStart(text, cursor);
    return { text: text.slice(0, start) + text.slice(cursor), cursor: start };
  }
  if (key.ctrl || key.meta || key.return || key.tab || key.escape || key.upArrow || key.downArrow || key.pageUp || key.pageDown) {
    return line;
  }
  // A paste arrives as one chunk: line breaks become spaces, other control characters are dropped.
  const clean = input.replace(/\r\n|\r|\n/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
  if (clean === '') return line;
  const room = maxLength - text.length;
  if (room <= 0) return line;
  const ins = clean.slice(0, room);
  return { text: text.slice(0, cursor) + ins + text.slice(cursor), cursor: cursor + ins.length };
}

/** Where Ctrl-W stops: the start of the word before the cursor (skipping spaces first). */
function wordStart(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && text[i - 1] === ' ') i--;
  while (i > 0 && text[i - 1] !== ' ') i--;
  return i;
}
