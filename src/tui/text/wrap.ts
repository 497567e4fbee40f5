/** Word wrap by terminal columns (wide characters take two), breaking inside a word only when it is longer than a line. */
import { graphemes as chars, textWidth as width } from './width.js';

/** Cuts a word that is wider than `cols` into pieces of at most `cols` columns. */
function hardBreak(word: string, cols: number): string[] {
  const out: string[] = [];
  let cur = '';
  let w = 0;
  for (const c of chars(word)) {
    const cw = width(c);
    if (w + cw > cols && cur !== '') {
      out.push(cur);
      cur = '';
      w = 0;
    }
    cur += c;
    w += cw;
  }
  if (cur !== '' || out.length === 0) out.push(cur);
  return out;
}

/**
 * Lines of at most `cols` columns; the first may be narrower (`firstCols`, for a "HH:MM name: "
 * prefix). Spaces at a break are dropped.
 */
export function wrapWords(text: string, cols: number, firstCols = cols): string[] {
  const lines: string[] = [];
  let room = Math.max(1, firstCols);
  let cur = '';
  let w = 0;
  const push = () => {
    lines.push(cur);
    cur = '';
    w = 0;
    room = Math.max(1, cols);
  };
  for (const word of text.split(' ')) {
    const ww = width(word);
    const sep = cur === '' ? 0 : 1;
    if (w + sep + ww <= room) {
      cur += (sep ? ' ' : '') + word;
      w += sep + ww;
      continue;
    }
    if (cur !== '') push();
    if (ww <= room) {
      cur = word;
      w = ww;
      continue;
    }
    const pieces = hardBreak(word, room);
    for (let i = 0; i < pieces.length - 1; i++) {
      cur = pieces[i]!;
      push();
    }
    cur = pieces[pieces.length - 1]!;
    w = width(cur);
  }
  lines.push(cur);
  return lines;
}

/** How many lines wrapWords would make, without building them (for scroll sizes of long histories). */
export function countWrapped(text: string, cols: number, firstCols = cols): number {
  // Plain ASCII without long words is the common case: count by lengths alone.
  if (!/^[\x20-\x7e]*$/.test(text)) return wrapWords(text, cols, firstCols).length;
  let lines = 1;
  let room = Math.max(1, firstCols);
  let w = 0;
  let start = 0;
  for (;;) {
    let end = text.indexOf(' ', start);
    if (end === -1) end = text.length;
    const ww = end - start;
    const sep = w === 0 ? 0 : 1;
    if (w + sep + ww <= room) w += sep + ww;
    else {
      if (w > 0) {
        lines++;
        room = Math.max(1, cols);
      }
      if (ww <= room) w = ww;
      else {
        // A word longer than a line: whole lines of it, the rest starts the next.
        const full = Math.floor((ww - 1) / room);
        lines += full;
        w = ww - full * room;
        room = Math.max(1, cols);
      }
    }
    if (end >= text.length) break;
    start = end + 1;
  }
  return lines;
}
