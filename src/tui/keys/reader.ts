/**
 * From terminal input to keys: ink splits what it reads at escape sequences and hands each piece on
 * (its `useInput` would then guess at them one by one); this reader turns each piece into keys in
 * order, and collects a bracketed paste (ESC[200~ … ESC[201~) into one paste event, so that a line
 * break inside a paste is never the Enter key.
 */
import { NO_KEY, tokenize, type KeyLike } from './tokens.js';

/** A key (what it types, and its flags), or a paste. */
export type KeyEvent = { readonly input: string; readonly key: KeyLike } | { readonly paste: string };

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** CSI / SS3 final characters that name a key. */
const FINAL: Readonly<Record<string, keyof KeyLike>> = {
  A: 'upArrow',
  B: 'downArrow',
  C: 'rightArrow',
  D: 'leftArrow',
  H: 'home',
  F: 'end',
};

/** CSI n ~ keys. */
const TILDE: Readonly<Record<string, keyof KeyLike>> = {
  '1': 'home',
  '7': 'home',
  '4': 'end',
  '8': 'end',
  '3': 'delete',
  '5': 'pageUp',
  '6': 'pageDown',
};

/** The modifier parameter of a CSI sequence (1 + shift 1, alt 2, ctrl 4) as flags. */
function modifiers(param: string | undefined): Partial<KeyLike> {
  const m = Number(param ?? '1') - 1;
  if (!(m > 0)) return {};
  return { shift: (m & 1) !== 0, meta: (m & 2) !== 0, ctrl: (m & 4) !== 0 };
}

/** One escape sequence as a key, or null for one that is no key the client knows (function keys, mouse reports). */
export function escapeKey(seq: string): [string, KeyLike] | null {
  if (seq === '\x1b' || seq === '\x1b\x1b') return ['', { ...NO_KEY, escape: true, meta: true }];
  const csi = /^\x1b\[(?:(\d+)(?:;(\d+))?)?([~A-Z])$/.exec(seq);
  if (csi) {
    const [, n, mod, final] = csi;
    if (final === 'Z' && n === undefined) return ['', { ...NO_KEY, tab: true, shift: true }];
    const flag = final === '~' ? TILDE[n ?? ''] : n === undefined || n === '1' ? FINAL[final!] : undefined;
    if (!flag) return null;
    return ['', { ...NO_KEY, ...modifiers(mod), [flag]: true }];
  }
  const ss3 = /^\x1bO([A-DHF])$/.exec(seq);
  if (ss3) return ['', { ...NO_KEY, [FINAL[ss3[1]!]!]: true }];
  // ESC then one character: that character with Alt.
  const alt = /^\x1b([^\x1b[O]|\[|O)$/su.exec(seq);
  if (alt) {
    const c = alt[1]!;
    if (c === '\r' || c === '\n') return ['', { ...NO_KEY, return: true, meta: true }];
    if (c === '\x7f' || c === '\b') return ['', { ...NO_KEY, backspace: true, meta: true }];
    // ESC then a control key (Alt-Tab, or Esc and Tab typed fast): that key, as ink took it.
    if (c.charCodeAt(0) < 0x20) {
      const [k] = tokenize(c, NO_KEY);
      return k ? [k[0], { ...k[1], meta: true }] : null;
    }
    return [c, { ...NO_KEY, meta: true }];
  }
  return null;
}

/** Turns ink's input pieces into key and paste events, in order. */
export class KeyReader {
  /** Inside a bracketed paste: what it holds so far. */
  private paste: string | null = null;

  constructor(private readonly emit: (e: KeyEvent) => void) {}

  /** One piece of input as ink hands it on: an escape sequence, or a run of text. */
  push(piece: string): void {
    let rest = piece;
    while (rest !== '') {
      if (this.paste !== null) {
        const end = rest.indexOf(PASTE_END);
        if (end === -1) {
          this.paste += rest;
          return;
        }
        const text = this.paste + rest.slice(0, end);
        this.paste = null;
        rest = rest.slice(end + PASTE_END.length);
        this.emit({ paste: text });
        continue;
      }
      const start = rest.indexOf(PASTE_START);
      const before = start === -1 ? rest : rest.slice(0, start);
      if (before !== '') this.keys(before);
      if (start === -1) return;
      this.paste = '';
      rest = rest.slice(start + PASTE_START.length);
    }
  }

  private keys(piece: string): void {
    if (piece.startsWith('\x1b')) {
      const k = escapeKey(piece);
      if (k) this.emit({ input: k[0], key: k[1] });
      return;
    }
    for (const [input, key] of tokenize(piece, NO_KEY)) this.emit({ input, key });
  }
}
