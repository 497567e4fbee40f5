/**
 * What an input field shows: the part of its line that fits, by terminal columns (wide characters
 * take two), with the cursor always in view. A pasted draft's line breaks show as ↵.
 */
import { printable } from './printable.js';
import { graphemes, textWidth } from './width.js';

export interface FieldView {
  /** Shown before the cursor. */
  readonly before: string;
  /** The character under the cursor (a space at the end of the line). */
  readonly at: string;
  readonly after: string;
}

/** How a character of the line is shown. */
const cell = (g: string, mask: boolean): string => {
  if (mask) return '*';
  if (g === '\n') return '↵';
  // Something that takes no column on its own (a lone accent, a hidden character) gets one, so the cursor shows on it.
  const p = printable(g);
  return textWidth(p) === 0 ? '\ufffd' : p;
};

/** The view of `text` with the cursor at `cursor` (a UTF-16 index) in a field `width` columns wide. */
export function fieldView(text: string, cursor: number, width: number, mask = false): FieldView {
  const w = Math.max(2, width);
  const cells: Array<{ s: string; w: number }> = [];
  let atIndex = -1;
  let i = 0;
  for (const g of graphemes(text)) {
    if (atIndex === -1 && i >= cursor) atIndex = cells.length;
    const s = cell(g, mask);
    cells.push({ s, w: textWidth(s) });
    i += g.length;
  }
  if (atIndex === -1) atIndex = cells.length;
  const at = cells[atIndex] ?? { s: ' ', w: 1 };
  // Back from the cursor as far as fits, then forward to fill the rest.
  let start = atIndex;
  let used = at.w;
  while (start > 0 && used + cells[start - 1]!.w <= w) used += cells[--start]!.w;
  let end = atIndex + 1;
  while (end < cells.length && used + cells[end]!.w <= w) used += cells[end++]!.w;
  const join = (a: number, b: number) => cells.slice(a, Math.max(a, b)).map((c) => c.s).join('');
  return { before: join(start, atIndex), at: at.s, after: join(atIndex + 1, end) };
}
