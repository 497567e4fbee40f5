/**
 * The compose line: editing, the line history (Up/Down), Tab completion of names, and what the
 * line means (a message for the view's conversation, `/msg name text`, `@name text`, a command).
 */
import { USERNAME_CHARS } from '../../protocol/schema.js';
import { editLine, emptyLine, lineOf, type Line } from '../lineEdit.js';
import { CONTENT_MAX, wireBytes } from '../text/unicode.js';
import type { Action } from './actions.js';

export interface ComposeState {
  readonly line: Line;
  readonly history: readonly string[];
  /** Position while browsing history with Up/Down; null when editing a fresh line. */
  readonly historyIndex: number | null;
  readonly draft: string;
  readonly error: string | null;
  /** Tab pressed again cycles through the other matches. */
  readonly completion: { readonly before: string; readonly after: string; readonly matches: readonly string[]; readonly index: number } | null;
}

export const initialCompose: ComposeState = { line: emptyLine, history: [], historyIndex: null, draft: '', error: null, completion: null };

/**
 * Longest line the compose field holds. Far above one message (CONTENT_MAX bytes) on purpose: a long paste
 * is kept whole, shown over the limit, and offered as several messages, never cut silently.
 */
export const LINE_MAX = 16_384;
const HISTORY_MAX = 100;

/** A message addressed inside the line: `/msg name text` or `@name text`. */
const ADDRESSED = /^(?:\/msg\s+|@)(\S+)(?:\s+([\s\S]*))?$/i;

/** The message part of a compose line and who it goes to, as Enter would send it. */
export function composeTarget(text: string, view: string | null): { recipient: string | null; content: string; addressed: boolean } {
  const m = ADDRESSED.exec(text.trimStart());
  if (m) return { recipient: m[1]!, content: (m[2] ?? '').trim(), addressed: true };
  const literal = text.startsWith('//') ? text.slice(1) : text;
  return { recipient: view, content: literal.trim(), addressed: false };
}

/** Bytes the message part takes on the wire, for the n/CONTENT_MAX counter. */
export function composeBytes(text: string, view: string | null): { bytes: number; over: number } {
  if (text.startsWith('/') && !text.startsWith('//') && !/^\/msg\s/i.test(text)) return { bytes: 0, over: 0 };
  const bytes = wireBytes(composeTarget(text, view).content);
  return { bytes, over: Math.max(0, bytes - CONTENT_MAX) };
}

/** The name (or @name, or #group) just before the cursor, possibly empty. */
const NAME_BEFORE = new RegExp(`@?(#?[${USERNAME_CHARS}]*)$`);

/** The word before the cursor that Tab completes, and where it starts. */
function wordAt(line: Line): { start: number; word: string } {
  const before = line.text.slice(0, line.cursor);
  const m = NAME_BEFORE.exec(before)!;
  return { start: before.length - m[1]!.length, word: m[1]! };
}

function complete(c: ComposeState, names: readonly string[]): ComposeState {
  if (c.completion && c.completion.matches.length > 1) {
    const { before, after, matches } = c.completion;
    const index = (c.completion.index + 1) % matches.length;
    const text = `${before}${matches[index]} `;
    return { ...c, line: { text: text + after, cursor: text.length }, completion: { ...c.completion, index } };
  }
  const { start, word } = wordAt(c.line);
  if (word === '') return c;
  const lower = word.toLowerCase();
  const matches = [...new Set(names)].filter((n) => n.toLowerCase().startsWith(lower)).sort();
  if (matches.length === 0) return { ...c, error: `no name starts with ${word}` };
  const before = c.line.text.slice(0, start);
  const after = c.line.text.slice(c.line.cursor).replace(/^ /, '');
  const text = `${before}${matches[0]} `;
  return {
    ...c,
    line: { text: text + after, cursor: text.length },
    error: null,
    completion: { before, after, matches, index: 0 },
  };
}

export function compose(c: ComposeState, a: Action): ComposeState {
  switch (a.type) {
    case 'edit': {
      if (a.field !== 'compose') return c;
      const line = editLine(c.line, a.op, LINE_MAX);
      if (line === c.line) return c;
      // Only a paste longer than the whole field loses text, and then it says so.
      const cut = typeof a.op === 'object' && a.op.insert.length > 1 && line.text.length === LINE_MAX ? `the paste was cut at ${LINE_MAX} characters` : null;
      return { ...c, line, historyIndex: null, error: cut, completion: null };
    }
    case 'complete':
      return complete(c, a.names);
    case 'history': {
      const h = c.history;
      if (h.length === 0) return c;
      const cur = c.historyIndex;
      let idx: number | null;
      if (a.dir === -1) idx = cur === null ? h.length - 1 : Math.max(0, cur - 1);
      else idx = cur === null ? null : cur + 1 >= h.length ? null : cur + 1;
      if (idx === cur) return c;
      const draft = cur === null ? c.line.text : c.draft;
      const text = idx === null ? draft : h[idx]!;
      return { ...c, historyIndex: idx, draft, line: lineOf(text), completion: null };
    }
    case 'composeError':
      return { ...c, error: a.text };
    case 'setCompose':
      return { ...c, line: lineOf(a.text), historyIndex: null, completion: null };
    case 'sendStarted': {
      if (!a.fromCompose) return c;
      const text = c.line.text;
      const history = text && c.history[c.history.length - 1] !== text ? [...c.history, text].slice(-HISTORY_MAX) : c.history;
      return { ...c, line: emptyLine, history, historyIndex: null, draft: '', error: null, completion: null };
    }
    case 'sendAccepted':
      return c.error ? { ...c, error: null } : c;
    default:
      return c;
  }
}

/** After a failed send: the error, and the text back in the line unless something new is typed. */
export function composeFailed(c: ComposeState, error: string, recipient?: string, text?: string): ComposeState {
  const line = recipient && text !== undefined && c.line.text === '' ? lineOf(`/msg ${recipient} ${text}`) : c.line;
  return { ...c, line, error };
}
