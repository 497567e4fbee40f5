/**
 * Which screen lines the inbox shows. Only the entries that fit the view are wrapped, so a
 * 10,000-message inbox costs the same to draw as a 10-message one.
 */
import type { InboxEntry } from './state.js';

export interface InboxLine {
  readonly key: string;
  /** Set on an entry's first line: "HH:MM". */
  readonly time?: string;
  /** Set on an entry's first line: who, as shown ("alice", "you → bob"). */
  readonly who?: string;
  /** Name whose colour `who` takes. */
  readonly colorName?: string;
  readonly own?: boolean;
  readonly pending?: boolean;
  readonly senderDeleted?: boolean;
  readonly text: string;
}

/** "HH:MM" in local time. */
export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const INDENT = 6; // width of "HH:MM "

/** Hard-wraps one entry into screen lines of at most `width` columns. */
export function wrapEntry(e: InboxEntry, width: number): InboxLine[] {
  const own = e.recipient !== undefined;
  const who = own ? `you → ${e.recipient}` : e.senderDeleted ? `${e.sender} (deleted)` : e.sender;
  const head = `${who}: `;
  const w = Math.max(INDENT + 4, width);
  const firstRoom = Math.max(1, w - INDENT - head.length);
  const restRoom = w - INDENT;
  const lines: InboxLine[] = [];
  let rest = e.content;
  const first = rest.slice(0, firstRoom);
  rest = rest.slice(first.length);
  lines.push({
    key: `${e.key}:0`,
    time: hhmm(e.sentAt),
    who,
    colorName: own ? e.recipient : e.sender,
    own,
    pending: e.status === 'sending',
    senderDeleted: e.senderDeleted,
    text: first,
  });
  for (let i = 1; rest.length > 0; i++) {
    lines.push({ key: `${e.key}:${i}`, text: rest.slice(0, restRoom), own });
    rest = rest.slice(restRoom);
  }
  return lines;
}

/** The last `height` lines ending `scroll` entries above the newest, wrapped at `width`. */
export function visibleLines(entries: readonly InboxEntry[], scroll: number, width: number, height: number): InboxLine[] {
  const out: InboxLine[][] = [];
  let count = 0;
  for (let i = entries.length - 1 - scroll; i >= 0 && count < height; i--) {
    const lines = wrapEntry(entries[i]!, width);
    out.push(lines);
    count += lines.length;
  }
  const flat = out.reverse().flat();
  return flat.slice(Math.max(0, flat.length - height));
}
