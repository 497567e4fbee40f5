/**
 * The screen lines of a view: messages word-wrapped under a "HH:MM who: " head, with a date line
 * wherever the day changes and the read marker before the first message that is new since the
 * window was last left. Only a message's line count is cached (a number per message); lines are
 * built only for the rows on screen, so a 10,000-message history costs little memory and a new
 * message does not lay out the whole history again.
 */
import { printable } from './text/printable.js';
import { countWrapped, wrapWords } from './text/wrap.js';
import type { Delivery, Entry } from './state/types.js';

export interface MessageLine {
  readonly key: string;
  /** A day-change line ("── Mon 30 Nov 2026 ──"): only `text` is set. */
  readonly date?: boolean;
  /** The read marker: what follows is new since the window was last left. */
  readonly marker?: boolean;
  /** Set on a message's first line: "HH:MM". */
  readonly time?: string;
  /** Set on a message's first line: who, as shown ("alice", "you → bob", "* alice"). */
  readonly who?: string;
  /** An action: `who` and the text are written without a colon between them. */
  readonly action?: boolean;
  /** Name whose colour `who` takes. */
  readonly colorName?: string;
  readonly own?: boolean;
  /** Set on the last line of our own messages: the mark after it. */
  readonly delivery?: Delivery;
  readonly text: string;
}

/** What follows our own messages: sent (pending), stored (queued), acknowledged by the recipient (delivered). */
export const DELIVERY_MARK: Readonly<Record<Delivery, string>> = { pending: ' …', queued: ' ✓', delivered: ' ✓✓' };
/** Columns kept free at the end of each line of our own messages, for the widest mark. */
const MARK_COLUMNS = Math.max(...Object.values(DELIVERY_MARK).map((m) => [...m].length));

/** "HH:MM" in local time. */
export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mon 30 Nov 2026" in local time. */
export function dayLabel(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

const dayOf = (ms: number): number => {
  const d = new Date(ms);
  return d.getFullYear() * 10000 + d.getMonth() * 100 + d.getDate();
};

/** Width of "HH:MM ": continuation lines are indented by it. */
export const INDENT = 6;

const countCache = new WeakMap<Entry, { width: number; count: number }>();

/** Who a message is shown as from. */
export function whoOf(e: Entry): string {
  const name = e.senderDeleted ? `${e.sender} (deleted)` : e.sender;
  if (e.action) return `* ${name}`;
  return e.own ? `you → ${e.peer}` : name;
}

/** The text, who it is shown from, and the columns its lines have at `width` (the first is narrower: it holds the head). */
function shape(e: Entry, width: number): { text: string; who: string; cols: number; first: number } {
  const who = printable(whoOf(e));
  const mark = e.own ? MARK_COLUMNS : 0;
  const w = Math.max(INDENT + 4 + mark, width);
  const cols = w - INDENT - mark;
  return { text: printable(e.text), who, cols, first: Math.max(1, cols - who.length - (e.action ? 1 : 2)) };
}

/** One message's lines at `width` columns. */
export function wrapEntry(e: Entry, width: number): MessageLine[] {
  const { text, who, cols, first } = shape(e, width);
  const parts = wrapWords(text, cols, first);
  const last = parts.length - 1;
  return parts.map((part, i) => ({
    key: `${e.key}:${i}`,
    own: e.own,
    text: part,
    ...(i === 0 ? { time: hhmm(e.sentAt), who, colorName: e.own ? e.peer : e.sender, ...(e.action ? { action: true } : {}) } : {}),
    ...(i === last && e.delivery ? { delivery: e.delivery } : {}),
  }));
}

/** How many lines a message takes at `width` (cached). */
export function lineCount(e: Entry, width: number): number {
  const hit = countCache.get(e);
  if (hit && hit.width === width) return hit.count;
  const { text, cols, first } = shape(e, width);
  const count = countWrapped(text, cols, first);
  countCache.set(e, { width, count });
  return count;
}

/** Whether a date line goes before entries[i]: the first one, or a new day. */
const dateBefore = (entries: readonly Entry[], i: number): boolean => i === 0 || dayOf(entries[i]!.sentAt) !== dayOf(entries[i - 1]!.sentAt);

const dateLine = (e: Entry): MessageLine => ({ key: `d${dayOf(e.sentAt)}:${e.key}`, date: true, text: `── ${dayLabel(e.sentAt)} ──` });

const MARKER: MessageLine = { key: 'read-marker', marker: true, text: '── new ──' };

/** Lines that go before entries[i] and are not the message: a read marker, a date line. */
const headLines = (entries: readonly Entry[], i: number, marker: number): number => (i === marker ? 1 : 0) + (dateBefore(entries, i) ? 1 : 0);

let totalMemo: { entries: readonly Entry[]; width: number; marker: number; total: number } | null = null;

/** Lines of all these messages, date lines and the read marker (before entries[marker]; -1: none) included, without building them. */
export function totalLines(entries: readonly Entry[], width: number, marker = -1): number {
  if (totalMemo && totalMemo.entries === entries && totalMemo.width === width && totalMemo.marker === marker) return totalMemo.total;
  let total = 0;
  for (let i = 0; i < entries.length; i++) total += lineCount(entries[i]!, width) + headLines(entries, i, marker);
  totalMemo = { entries, width, marker, total };
  return total;
}

/** The lines of entries[i] with what goes before it. */
function linesOf(entries: readonly Entry[], i: number, width: number, marker: number): MessageLine[] {
  const e = entries[i]!;
  const head: MessageLine[] = [];
  if (i === marker) head.push(MARKER);
  if (dateBefore(entries, i)) head.push(dateLine(e));
  return [...head, ...wrapEntry(e, width)];
}

/** The `rows` lines ending `scroll` lines above the last one, building only those. */
export function visibleLines(entries: readonly Entry[], width: number, scroll: number, rows: number, marker = -1): MessageLine[] {
  const built: MessageLine[][] = [];
  let below = 0; // lines of the messages under the window: counted, not built
  let count = 0;
  for (let i = entries.length - 1; i >= 0 && count < scroll + rows; i--) {
    const n = lineCount(entries[i]!, width) + headLines(entries, i, marker);
    count += n;
    if (count <= scroll) {
      below += n;
      continue;
    }
    built.push(linesOf(entries, i, width, marker));
  }
  const flat = built.reverse().flat();
  // The last built line sits `below` lines above the end; the window ends `scroll` lines above it.
  const end = flat.length - (scroll - below);
  return flat.slice(Math.max(0, end - rows), Math.max(0, end));
}

/** All lines of these messages, with date lines and the read marker; for tests and small lists. */
export function layoutLines(entries: readonly Entry[], width: number, marker = -1): MessageLine[] {
  return entries.flatMap((_, i) => linesOf(entries, i, width, marker));
}

/** The `rows` lines that end `scroll` lines above the last one. */
export function windowOf(lines: readonly MessageLine[], scroll: number, rows: number): MessageLine[] {
  const end = Math.max(0, lines.length - scroll);
  return lines.slice(Math.max(0, end - rows), end);
}
