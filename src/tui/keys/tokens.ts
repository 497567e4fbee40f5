/**
 * Splitting one input chunk into the keys a person typed. ink hands a whole read to useInput as
 * one string when it holds no escape sequence, so `abcdef` + two Backspaces, or Ctrl-E then
 * Ctrl-U, arrive together over SSH or on a busy machine; each key must still act, in order.
 */

/** The ink Key fields the keymap reads. */
export interface KeyLike {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}

/** A key event with no flag set: plain text. */
export const NO_KEY: KeyLike = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

const flagged = (key: KeyLike): boolean => Object.values(key).some((v) => v === true);

/** The keys in one chunk of text (no escape sequence), in order: runs of text stay together (one edit). */
export function tokenize(input: string, key: KeyLike): Array<[string, KeyLike]> {
  // ink parsed it as one key already (an arrow, Ctrl-letter, a lone Enter or Backspace).
  if (flagged(key)) return [[input, key]];
  const out: Array<[string, KeyLike]> = [];
  let text = '';
  const flush = () => {
    if (text !== '') out.push([text, NO_KEY]);
    text = '';
  };
  for (const c of input) {
    const code = c.codePointAt(0)!;
    if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) {
      text += c;
      continue;
    }
    flush();
    // A line feed is Enter too: it is what a terminal not yet in raw mode makes of the Enter key
    // (keys typed before the client started), and Ctrl-J, as in readline. Pastes are bracketed, so
    // their line breaks never come here (see reader.ts).
    if (c === '\r' || c === '\n') out.push(['', { ...NO_KEY, return: true }]);
    else if (c === '\t') out.push(['', { ...NO_KEY, tab: true }]);
    else if (c === '\x7f' || c === '\b') out.push(['', { ...NO_KEY, backspace: true }]);
    else if (c === '\x1b') out.push(['', { ...NO_KEY, escape: true }]);
    else if (code >= 1 && code <= 26) out.push([String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }]);
    // Other control characters are not keys anyone typed: dropped.
  }
  flush();
  return out;
}
