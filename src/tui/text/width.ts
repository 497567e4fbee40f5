/**
 * Terminal columns and the characters a cursor steps over: the one width function of the TUI (the
 * panes wrap by it, the input field scrolls by it), and grapheme clusters (an accent with its
 * letter, an emoji sequence) so that nothing is cut or stepped into halfway.
 */
import stringWidth from 'string-width';

const ASCII = /^[\x20-\x7e]*$/;

/** Columns `s` takes on a terminal (wide characters two, combining marks none). */
export const textWidth = (s: string): number => (ASCII.test(s) ? s.length : stringWidth(s));

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The user-perceived characters of `s`, in order. */
export const graphemes = (s: string): string[] => (ASCII.test(s) ? s.split('') : Array.from(segmenter.segment(s), (x) => x.segment));

/** Where the character before `i` starts (a grapheme boundary), 0 at the start. */
export function previousBoundary(s: string, i: number): number {
  if (i <= 0) return 0;
  // A cluster is short: look back a little, not at the whole line.
  const from = Math.max(0, i - 64);
  let at = from;
  for (const g of segmenter.segment(s.slice(from, i))) at = from + g.index;
  return at;
}

/** Where the character at `i` ends (a grapheme boundary), the length at the end. */
export function nextBoundary(s: string, i: number): number {
  if (i >= s.length) return s.length;
  const first = segmenter.segment(s.slice(i, i + 64))[Symbol.iterator]().next();
  return first.done ? s.length : i + first.value.segment.length;
}
