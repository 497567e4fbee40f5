import test from 'ava';
import { KeyReader, type KeyEvent } from '../../src/tui/keys/reader.js';

/** What a reader makes of ink's input events, each key as a short word. */
function read(...events: string[]): string[] {
  const out: string[] = [];
  const show = (e: KeyEvent): string => {
    if ('paste' in e) return `paste(${JSON.stringify(e.paste)})`;
    const k = e.key;
    const mods = `${k.ctrl ? 'C-' : ''}${k.meta && !k.escape ? 'M-' : ''}${k.shift ? 'S-' : ''}`;
    const name = k.return ? 'RET' : k.tab ? 'TAB' : k.escape ? 'ESC' : k.backspace ? 'BS' : k.delete ? 'DEL' : k.upArrow ? 'UP' : k.downArrow ? 'DOWN' : k.leftArrow ? 'LEFT' : k.rightArrow ? 'RIGHT' : k.home ? 'HOME' : k.end ? 'END' : k.pageUp ? 'PGUP' : k.pageDown ? 'PGDN' : e.input;
    return mods + name;
  };
  const r = new KeyReader((e) => out.push(show(e)));
  for (const ev of events) r.push(ev);
  return out;
}

test('defect 3: a bracketed paste is one paste event, its carriage returns never Enter', (t) => {
  t.deepEqual(read('\x1b[200~', 'one\rtwo\rthree', '\x1b[201~'), ['paste("one\\rtwo\\rthree")']);
  t.deepEqual(read('x', '\x1b[200~', 'a\r', 'b', '\x1b[201~', '\r'), ['x', 'paste("a\\rb")', 'RET']);
});

test('a paste holding escape sequences keeps them as text for the line to clean', (t) => {
  t.deepEqual(read('\x1b[200~', 'red ', '\x1b[31m', 'text', '\x1b[201~'), ['paste("red \\u001b[31mtext")']);
});

test('defect 10: keys typed ahead in one chunk act in order, and a line feed (Enter in a terminal not yet raw) is Enter', (t) => {
  t.deepEqual(read('bob\tpw\r'), ['bob', 'TAB', 'pw', 'RET']);
  t.deepEqual(read('bob\tpw\n'), ['bob', 'TAB', 'pw', 'RET']);
});

test('escape sequences: arrows, Home/End in their variants, pages, Shift-Tab, Delete, modifiers', (t) => {
  t.deepEqual(read('\x1b[A', '\x1b[B', '\x1b[C', '\x1b[D', '\x1bOA'), ['UP', 'DOWN', 'RIGHT', 'LEFT', 'UP']);
  t.deepEqual(read('\x1b[H', '\x1b[F', '\x1b[1~', '\x1b[4~', '\x1b[7~', '\x1b[8~', '\x1bOH', '\x1bOF'), ['HOME', 'END', 'HOME', 'END', 'HOME', 'END', 'HOME', 'END']);
  t.deepEqual(read('\x1b[5~', '\x1b[6~', '\x1b[Z', '\x1b[3~'), ['PGUP', 'PGDN', 'S-TAB', 'DEL']);
  t.deepEqual(read('\x1b[1;5C', '\x1b[1;3A', '\x1b[5;5~'), ['C-RIGHT', 'M-UP', 'C-PGUP']);
});

test('Alt with a character, a lone Esc, Ctrl letters, Backspace', (t) => {
  t.deepEqual(read('\x1b0', '\x1ba', '\x1bH'), ['M-0', 'M-a', 'M-H']);
  t.deepEqual(read('\x1b', '\x1b\x1b'), ['ESC', 'ESC']);
  t.deepEqual(read('\x03', '\x7f', '\b'), ['C-c', 'BS', 'BS']);
});

test('unknown sequences (function keys, mouse) are never typed as text', (t) => {
  t.deepEqual(read('\x1b[15~', '\x1bOP', '\x1b[[A', '\x1b[<0;3;4M'), []);
});
