/**
 * One editable line of text with a cursor, and the readline-like operations on it. Which key does
 * which operation is the keymap's business (keys/keymap.ts), not this file's. The cursor steps over
 * whole characters (grapheme clusters), never into a surrogate pair or away from an accent.
 */
import { USERNAME_CHARS } from '../protocol/schema.js';
import { nextBoundary, previousBoundary } from './text/width.js';

export interface Line {
  readonly text: string;
  /** Index into text, 0..text.length. */
  readonly cursor: number;
}

/**
 * What can be done to a line: insert text (typed, or pasted without bracketed paste: line breaks
 * become spaces), insert a bracketed paste (its line breaks kept as \n, for a draft), or one
 * editing step.
 */
export type LineOp =
  | { readonly insert: string }
  | { readonly paste: string }
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
    case 'backspace': {
      if (cursor === 0) return line;
      const from = previousBoundary(text, cursor);
      return { text: text.slice(0, from) + text.slice(cursor), cursor: from };
    }
    case 'left':
      return { text, cursor: previousBoundary(text, cursor) };
    case 'right':
      return { text, cursor: nextBoundary(text, cursor) };
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
      if ('paste' in op) return insert(line, pasted(op.paste), maxLength);
      return insert(line, clean(op.insert.replace(/\r\n|\r|\n/g, ' ')), maxLength);
  }
}

/**
 * Characters a line never keeps: control characters, lone surrogates, and the invisible format
 * characters (zero-width space, BOM, soft hyphen, bidi controls), except the joiners that emoji and
 * some scripts need.
 */
// eslint-disable-next-line no-control-regex
const UNKEPT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]|(?![\u200c\u200d])\p{Cf}/gu;
const clean = (s: string): string => s.replace(UNKEPT, '');

/** A bracketed paste: line breaks kept as \n (none at the ends), tabs as spaces, the rest cleaned. */
const pasted = (s: string): string =>
  s
    .replace(/\r\n|\r/g, '\n')
    .replace(/\t/g, '    ')
    .split('\n')
    .map(clean)
    .join('\n')
    .replace(/^\n+|\n+$/g, '');

/** Inserts cleaned text at the cursor, as much as fits. */
function insert(line: Line, clean: string, maxLength: number): Line {
  const { text, cursor } = line;
  if (clean === '') return line;
  const room = maxLength - text.length;
  if (room <= 0) return line;
  // Cut between code points, never inside a surrogate pair.
  const ins = clean.slice(0, room).replace(/[\ud800-\udbff]$/, '');
  return { text: text.slice(0, cursor) + ins + text.slice(cursor), cursor: cursor + ins.length };
}

/** Where Ctrl-W stops: the start of the word before the cursor (skipping spaces first). */
function wordStart(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && text[i - 1] === ' ') i--;
  while (i > 0 && text[i - 1] !== ' ') i--;
  return i;
}

/** The name (or @name, or #group) just before the cursor, possibly empty. */
const NAME_BEFORE = new RegExp(`@?(#?[${USERNAME_CHARS}]*)$`);

/** The word before the cursor that Tab completes, and where it starts. */
export function wordAt(line: Line): { start: number; word: string } {
  const before = line.text.slice(0, line.cursor);
  const m = NAME_BEFORE.exec(before)!;
  return { start: before.length - m[1]!.length, word: m[1]! };
}
