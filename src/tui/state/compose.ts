/**
 * The compose line: editing, the line history (Up/Down), Tab completion of names, and what the
 * line means (a message for the view's conversation, `/msg name text`, `@name text`, a command).
 */
import { editLine, emptyLine, lineOf, wordAt, type Line } from '../lineEdit.js';
import { CONTENT_MAX, wireBytes } from '../text/unicode.js';
import type { Action } from './actions.js';

export interface ComposeState {
  readonly line: Line;
  readonly history: readonly string[];
  /** Position while browsing history with Up/Down; null when editing a fresh line. */
  readonly historyIndex: number | null;
  readonly draft: string;
  readonly error: string | null;
  /** The last Tab's matches (shown, and cycled through by the next Tab); `more`: matching accounts not among them. */
  readonly completion: {
    readonly before: string;
    readonly after: string;
    readonly matches: readonly string[];
    readonly index: number;
    readonly more: number;
  } | null;
}

export const initialCompose: ComposeState = { line: emptyLine, history: [], historyIndex: null, draft: '', error: null, completion: null };

/**
 * Longest line the compose field holds. Far above one message (CONTENT_MAX bytes) on purpose: a long paste
 * is kept whole, shown over the limit, and offered as several messages, never cut silently.
 */
export const LINE_MAX = 16_384;
const HISTORY_MAX = 100;

/** Who a line goes to and what it says, as Enter would send it. */
export interface ComposeTarget {
  /** null: no one (a plain line in the inbox). */
  readonly recipient: string | null;
  /** The message, trimmed; pasted line breaks kept as \n. */
  readonly content: string;
  /** Named in the line (`/msg NAME`, `@NAME`) rather than the view's conversation. */
  readonly addressed: boolean;
  /** `/me TEXT`: an action. */
  readonly action: boolean;
}

/** A message addressed inside the line: `/msg name text` or `@name text`. */
const ADDRESSED = /^(?:\/msg\s+|@)(\S+)(?:\s+([\s\S]*))?$/i;
const ACTION = /^\/me(?:\s+([\s\S]*))?$/i;

/** Whether the line is a /command (other than /msg and /me, which are messages); `//` escapes a leading /. */
export const isCommandLine = (text: string): boolean => composeTarget(text, null) === null;

/** The message part of a compose line and who it goes to, as Enter would send it; null for a command. */
export function composeTarget(text: string, view: string | null): ComposeTarget | null {
  const t = text.trimStart();
  const m = ADDRESSED.exec(t);
  if (m) return { recipient: m[1]!, content: (m[2] ?? '').trim(), addressed: true, action: false };
  const a = ACTION.exec(t);
  if (a) return { recipient: view, content: (a[1] ?? '').trim(), addressed: false, action: true };
  if (t.startsWith('/') && !t.startsWith('//')) return null;
  const literal = t.startsWith('//') ? t.slice(1) : t;
  return { recipient: view, content: literal.trim(), addressed: false, action: false };
}

/** Bytes the message part takes on the wire (pasted line breaks as spaces), for the n/CONTENT_MAX counter. */
export function composeBytes(text: string, view: string | null): { bytes: number; over: number } {
  const t = composeTarget(text, view);
  if (t === null) return { bytes: 0, over: 0 };
  const bytes = wireBytes(t.content.replace(/\n/g, ' '));
  return { bytes, over: Math.max(0, bytes - CONTENT_MAX) };
}

/** Usernames are ASCII: compared without the collation tables (which would cost the client megabytes). */
const byLowerName = (x: string, y: string): number => {
  const a = x.toLowerCase();
  const b = y.toLowerCase();
  return a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0;
};

/** Tab: the first name that completes the word before the cursor, or the next one on the next Tab. */
function complete(c: ComposeState, a: Extract<Action, { type: 'complete' }>): ComposeState {
  // The server answered after the line changed: that Tab is stale.
  if (a.at && (a.at.text !== c.line.text || a.at.cursor !== c.line.cursor)) return c;
  if (c.completion && c.completion.matches.length > 1) {
    const { before, after, matches } = c.completion;
    const index = (c.completion.index + 1) % matches.length;
    const text = `${before}${matches[index]} `;
    return { ...c, line: { text: text + after, cursor: text.length }, completion: { ...c.completion, index } };
  }
  const { start, word } = wordAt(c.line);
  if (word === '') return c;
  const lower = word.toLowerCase();
  const matches = [...new Set(a.names)].filter((n) => n.toLowerCase().startsWith(lower)).sort(byLowerName);
  if (matches.length === 0) return { ...c, error: `no name starts with ${word}` };
  const before = c.line.text.slice(0, start);
  const after = c.line.text.slice(c.line.cursor).replace(/^ /, '');
  const text = `${before}${matches[0]} `;
  return {
    ...c,
    line: { text: text + after, cursor: text.length },
    error: null,
    completion: { before, after, matches, index: 0, more: a.more ?? 0 },
  };
}

export function compose(c: ComposeState, a: Action): ComposeState {
  switch (a.type) {
    case 'edit': {
      if (a.field !== 'compose') return c;
      const line = editLine(c.line, a.op, LINE_MAX);
      if (line === c.line) return c;
      // Only a paste longer than the whole field loses text, and then it says so.
      const added = typeof a.op === 'object' ? ('paste' in a.op ? a.op.paste : a.op.insert) : '';
      const cut = added.length > 1 && line.text.length === LINE_MAX ? `the paste was cut at ${LINE_MAX} characters` : null;
      return { ...c, line, historyIndex: null, error: cut, completion: null };
    }
    case 'complete':
      return complete(c, a);
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
