/** Splitting text that is too long for one message into several, at word boundaries. */
import { CONTENT_MAX, wireBytes } from './unicode.js';

/** Cuts one word into pieces that each fit `max` wire bytes. */
function cutWord(word: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of Array.from(word)) {
    if (cur !== '' && wireBytes(cur + c) > max) {
      out.push(cur);
      cur = '';
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/**
 * Parts of `text`, in order, each at most `max` bytes on the wire, broken between words (inside a
 * word only when the word alone is too long). Joining the parts with spaces gives the text back,
 * less runs of spaces at the breaks.
 */
export function splitMessage(text: string, max = CONTENT_MAX): string[] {
  const parts: string[] = [];
  let cur = '';
  for (const word of text.trim().split(/ +/)) {
    const next = cur === '' ? word : `${cur} ${word}`;
    if (wireBytes(next) <= max) {
      cur = next;
      continue;
    }
    if (cur !== '') parts.push(cur);
    cur = '';
    if (wireBytes(word) <= max) {
      cur = word;
      continue;
    }
    const pieces = cutWord(word, max);
    parts.push(...pieces.slice(0, -1));
    cur = pieces[pieces.length - 1] ?? '';
  }
  if (cur !== '') parts.push(cur);
  return parts;
}
