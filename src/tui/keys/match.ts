/**
 * Keys as the keymap writes them ('ctrl+c', 'alt+h', 'shift+tab', 'pageup', 'y') and the small
 * matchers that test an ink key event against them. Each spec also knows its label for the help
 * and README ('Ctrl-C', 'Alt-H', 'Shift-Tab', 'PgUp', 'y').
 */
import type { KeyLike } from './tokens.js';

/** A key event reduced to what bindings look at. */
export interface Pressed {
  /** 'up', 'enter', 'tab', … for a named key; otherwise the text (one character, or a paste). */
  readonly name: string;
  readonly named: boolean;
  readonly ctrl: boolean;
  readonly alt: boolean;
  readonly shift: boolean;
}

/** ink's flags for the keys that are not text, and the names bindings use for them. */
const NAMED: ReadonlyArray<readonly [keyof KeyLike, string, string]> = [
  ['upArrow', 'up', 'Up'],
  ['downArrow', 'down', 'Down'],
  ['leftArrow', 'left', 'Left'],
  ['rightArrow', 'right', 'Right'],
  ['pageUp', 'pageup', 'PgUp'],
  ['pageDown', 'pagedown', 'PgDn'],
  ['home', 'home', 'Home'],
  ['end', 'end', 'End'],
  ['return', 'enter', 'Enter'],
  ['escape', 'escape', 'Esc'],
  ['tab', 'tab', 'Tab'],
  ['backspace', 'backspace', 'Backspace'],
  // ink reports the Backspace key (DEL, 0x7f) as `delete`: both erase before the cursor.
  ['delete', 'backspace', 'Backspace'],
];
const LABELS = new Map(NAMED.map(([, name, label]) => [name, label]));

/** What the keymap sees of an ink key event. */
export function pressed(input: string, key: KeyLike): Pressed {
  const named = NAMED.find(([flag]) => key[flag]);
  return {
    name: named ? named[1] : input,
    named: named !== undefined,
    ctrl: key.ctrl,
    // ink sets meta for a lone Esc too, and for Alt with an arrow: Alt goes with characters only.
    alt: key.meta && named === undefined && input !== '',
    shift: key.shift,
  };
}

/** One key a binding answers to. */
export interface KeySpec {
  /** As written in the keymap. */
  readonly spec: string;
  /** As shown in the help and README. */
  readonly label: string;
  readonly matches: (p: Pressed) => boolean;
}

/**
 * Parses a key as the keymap writes it. Modifiers `ctrl+`, `alt+`, `shift+` before a name
 * (up down left right pageup pagedown home end enter escape tab backspace) or one character;
 * `1…9` is a range of characters. Two special keys: `text` (anything typed or pasted that is not a
 * command key) and `any` (every key). A character matches in either case (y or Y; shift is not
 * compared); a named key matches only with exactly its modifiers (Tab is not Shift-Tab).
 */
export function key(spec: string): KeySpec {
  if (spec === 'text') return { spec, label: 'letters, digits, …', matches: (p) => !p.named && p.name !== '' && !p.ctrl && !p.alt };
  if (spec === 'any') return { spec, label: 'any other key', matches: () => true };
  const parts = spec.split('+');
  const name = parts.pop()!;
  const mods = new Set(parts);
  for (const m of mods) if (m !== 'ctrl' && m !== 'alt' && m !== 'shift') throw new Error(`keymap: unknown modifier "${m}" in "${spec}"`);
  const ctrl = mods.has('ctrl');
  const alt = mods.has('alt');
  const shift = mods.has('shift');
  const prefix = (ctrl ? 'Ctrl-' : '') + (alt ? 'Alt-' : '') + (shift ? 'Shift-' : '');
  const range = /^(.)…(.)$/u.exec(name);
  if (range) {
    const [from, to] = [range[1]!, range[2]!];
    return {
      spec,
      label: `${prefix}${from} … ${prefix}${to}`,
      matches: (p) => !p.named && p.ctrl === ctrl && p.alt === alt && [...p.name].length === 1 && p.name >= from && p.name <= to,
    };
  }
  if ([...name].length === 1) {
    const lower = name.toLowerCase();
    return {
      spec,
      label: prefix === '' ? name : prefix + name.toUpperCase(),
      matches: (p) => !p.named && p.ctrl === ctrl && p.alt === alt && p.name.toLowerCase() === lower,
    };
  }
  const label = LABELS.get(name);
  if (label === undefined) throw new Error(`keymap: unknown key "${name}" in "${spec}"`);
  return { spec, label: prefix + label, matches: (p) => p.named && p.name === name && p.ctrl === ctrl && p.alt === alt && p.shift === shift };
}
