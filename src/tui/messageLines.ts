/**
 * The screen lines of a view: messages word-wrapped under a "HH:MM who: " head, with a date line
 * wherever the day changes. Wrapping is cached per message and width, and the whole view per
 * (messages, view, width), so scrolling a 10,000-message history does not wrap it again.
 */
import { printable } from './text/printable.js';
import { wrapWords } from './text/wrap.js';
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

const wrapCache = new WeakMap<Entry, { width: number; lines: MessageLine[] }>();

/** Who a message is shown as from. */
export const whoOf = (e: Entry): string => (e.own ? `you → ${e.peer}` : e.senderDeleted ? `${e.sender} (deleted)` : e.sender);

/** One message's lines at `width` columns. */
export function wrapEntry(e: Entry, width: number): MessageLine[] {
  const hit = wrapCache.get(e);
  if (hit && hit.width === width) return hit.lines;
  const who = printable(whoOf(e));
  const w = Math.max(INDENT + 4, width);
  const parts = wrapWords(printable(e.text), w - INDENT, Math.max(1, w - INDENT - who.length - 2));
  const lines: MessageLine[] = parts.map((text, i) =>
    i === 0
      ? { key: `${e.key}:0`, time: hhmm(e.sentAt), who, colorName: e.own ? e.peer : e.sender, own: e.own, delivery: e.delivery, text }
      : { key: `${e.key}:${i}`, own: e.own, text },
  );
  wrapCache.set(e, { width, lines });
  return lines;
}

/** All lines of these messages, with date lines at each change of day (and before the first). */
export function layoutLines(entries: readonly Entry[], width: number): MessageLine[] {
  const out: MessageLine[] = [];
  let day = -1;
  for (const e of entries) {
    const d = dayOf(e.sentAt);
    if (d !== day) {
      day = d;
      out.push({ key: `d${d}:${e.key}`, date: true, text: `── ${dayLabel(e.sentAt)} ──` });
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
