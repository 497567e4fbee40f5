/**
 * The screen lines of a view: messages word-wrapped under a "HH:MM who: " head, with a date line
 * wherever the day changes. Only a message's line count is cached (a number per message); lines
 * are built only for the rows on screen, so a 10,000-message history costs little memory and a
 * new message does not lay out the whole history again.
 */
import { printable } from './text/printable.js';
import { countWrapped, wrapWords } from './text/wrap.js';
import type { Delivery, Entry } from './state/types.js';

export interface MessageLine {
  readonly key: string;
  /** A day-change line ("── Mon 30 Nov 2026 ──"): only `text` is set. */
  readonly date?: boolean;
  /** Set on a message's first line: "HH:MM". */
  readonly time?: string;
  /** Set on a message's first line: who, as shown ("alice", "you → bob"). */
  readonly who?: string;
  /** Name whose colour `who` takes. */
  readonly colorName?: string;
  readonly own?: boolean;
  readonly delivery?: Delivery;
  readonly text: string;
}

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
export const whoOf = (e: Entry): string => (e.own ? `you → ${e.peer}` : e.senderDeleted ? `${e.sender} (deleted)` : e.sender);

/** One message's lines at `width` columns. */
export function wrapEntry(e: Entry, width: number): MessageLine[] {
  const who = printable(whoOf(e));
  const w = Math.max(INDENT + 4, width);
  const parts = wrapWords(printable(e.text), w - INDENT, Math.max(1, w - INDENT - who.length - 2));
  const lines: MessageLine[] = parts.map((text, i) =>
    i === 0
      ? { key: `${e.key}:0`, time: hhmm(e.sentAt), who, colorName: e.own ? e.peer : e.sender, own: e.own, delivery: e.delivery, text }
      : { key: `${e.key}:${i}`, own: e.own, text },
  );
  return lines;
}

/** How many lines a message takes at `width` (cached). */
export function lineCount(e: Entry, width: number): number {
  const hit = countCache.get(e);
  if (hit && hit.width === width) return hit.count;
  const w = Math.max(INDENT + 4, width);
  const count = countWrapped(printable(e.text), w - INDENT, Math.max(1, w - INDENT - printable(whoOf(e)).length - 2));
  countCache.set(e, { width, count });
  return count;
}

/** Whether a date line goes before entries[i]: the first one, or a new day. */
const dateBefore = (entries: readonly Entry[], i: number): boolean => i === 0 || dayOf(entries[i]!.sentAt) !== dayOf(entries[i - 1]!.sentAt);

const dateLine = (e: Entry): MessageLine => ({ key: `d${dayOf(e.sentAt)}:${e.key}`, date: true, text: `── ${dayLabel(e.sentAt)} ──` });

let totalMemo: { entries: readonly Entry[]; width: number; total: number } | null = null;

/** Lines of all these messages, date lines included, without building them. */
export function totalLines(entries: readonly Entry[], width: number): number {
  if (totalMemo && totalMemo.entries === entries && totalMemo.width === width) return totalMemo.total;
  let total = 0;
  for (let i = 0; i < entries.length; i++) total += lineCount(entries[i]!, width) + (dateBefore(entries, i) ? 1 : 0);
  totalMemo = { entries, width, total };
  return total;
}

/** The `rows` lines ending `scroll` lines above the last one, building only those. */
export function visibleLines(entries: readonly Entry[], width: number, scroll: number, rows: number): MessageLine[] {
  const built: MessageLine[][] = [];
  let below = 0; // lines of the messages under the window: counted, not built
  let count = 0;
  for (let i = entries.length - 1; i >= 0 && count < scroll + rows; i--) {
    const date = dateBefore(entries, i);
    const n = lineCount(entries[i]!, width) + (date ? 1 : 0);
    count += n;
    if (count <= scroll) {
      below += n;
      continue;
    }
    const lines = wrapEntry(entries[i]!, width);
    built.push(date ? [dateLine(entries[i]!), ...lines] : lines);
  }
  const flat = built.reverse().flat();
  // The last built line sits `below` lines above the end; the window ends `scroll` lines above it.
  const end = flat.length - (scroll - below);
  return flat.slice(Math.max(0, end - rows), Math.max(0, end));
}

/** All lines of these messages, with date lines at each change of day (and before the first); for tests and small lists. */
export function layoutLines(entries: readonly Entry[], width: number): MessageLine[] {
  const out: MessageLine[] = [];
  let day = -1;
  for (const e of entries) {
    const d = dayOf(e.sentAt);
    if (d !== day) {
      day = d;
      out.push(dateLine(e));
    }
    for (const l of wrapEntry(e, width)) out.push(l);
  }
  return out;
}

/** The `rows` lines that end `scroll` lines above the last one. */
export function windowOf(lines: readonly MessageLine[], scroll: number, rows: number): MessageLine[] {
  const end = Math.max(0, lines.length - scroll);
  return lines.slice(Math.max(0, end - rows), end);
}
