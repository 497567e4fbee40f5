/**
 * One editable line of text with a cursor, and the readline-like operations on it. Which key does
 * which operation is the keymap's business (keys/keymap.ts), not this file's.
 */

export interface Line {
  readonly text: string;
  /** Index into text, 0..text.length. */
  readonly cursor: number;
}

/** What can be done to a line: insert text (typed or pasted) at the cursor, or one editing step. */
export type LineOp =
  | { readonly insert: string }
  | 'left'
  | 'right'
  | 'start'
  | 'end'
  | 'backspace'
  | 'killToStart'
  | 'killToEnd'
  | 'killWord';

export const emptyLine: Line = { text: '', cursor: 0 };

export const lineOf = (text: string): Line => ({ text, cursor: text.length });

/**
 * Applies one operation to a line. Returns the same object when nothing can change (Backspace at
 * the start, nothing printable to insert, a full field), so callers can tell "edited" from "no effect".
 */
export function editLine(line: Line, op: LineOp, maxLength = Infinity): Line {
  const { text, cursor } = line;
  // Moves and kills give a new line even when nothing moves (as a key that edits, they end a completion).
  switch (op) {
    case 'backspace':
      if (cursor === 0) return line;
      return { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 };
    case 'left':
      return { text, cursor: Math.max(0, cursor - 1) };
    case 'right':
      return { text, cursor: Math.min(text.length, cursor + 1) };
    case 'start':
      return { text, cursor: 0 };
    case 'end':
      return { text, cursor: text.length };
    case 'killToStart':
      return { text: text.slice(cursor), cursor: 0 };
    case 'killToEnd':
      return { text: text.slice(0, cursor), cursor };
    case 'killWord': {
      const start = wordStart(text, cursor);
      return { text: text.slice(0, start) + text.slice(cursor), cursor: start };
    }
    default:
      return insert(line, op.insert, maxLength);
  }
}

/** A paste arrives as one chunk: line breaks become spaces, other control characters are dropped. */
function insert(line: Line, input: string, maxLength: number): Line {
  const { text, cursor } = line;
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
