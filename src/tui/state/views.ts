/**
 * What the conversations state looks like on screen, derived and memoised: the messages of the view,
 * where its read marker goes, its lines, the windows list and which of them have activity.
 */
import { layoutLines, totalLines, visibleLines, type MessageLine } from '../messageLines.js';
import type { ConvState } from './types.js';
import type { Entry } from './types.js';

/** The key of a view in the per-view records: '' for the inbox. */
export const viewKey = (view: string | null): string => view ?? '';

let viewMemo: { entries: readonly Entry[]; view: string | null; cleared: number; search: ConvState['search']; out: readonly Entry[] } | null = null;

/** The messages the current view shows. */
export function viewEntries(c: ConvState): readonly Entry[] {
  const cleared = c.cleared[viewKey(c.view)] ?? 0;
  const m = viewMemo;
  if (m && m.entries === c.entries && m.view === c.view && m.cleared === cleared && m.search === c.search) return m.out;
  let out: readonly Entry[];
  if (c.search) out = c.search.results;
  else out = c.entries.filter((e) => (c.view === null || e.peer === c.view) && e.seq > cleared);
  viewMemo = { entries: c.entries, view: c.view, cleared, search: c.search, out };
  return out;
}

let markerMemo: { entries: readonly Entry[]; readTo: number | undefined; at: number } | null = null;

/**
 * Where the read marker goes in the current view: before the first message received since the
 * view was last left (or since login); -1 when there is none (nothing new, a search, a new window).
 */
export function markerIndex(c: ConvState): number {
  if (c.search) return -1;
  const entries = viewEntries(c);
  const readTo = c.readTo[viewKey(c.view)];
  const m = markerMemo;
  if (m && m.entries === entries && m.readTo === readTo) return m.at;
  const at = readTo === undefined ? -1 : entries.findIndex((e) => !e.own && e.seq > readTo);
  markerMemo = { entries, readTo, at };
  return at;
}

/** Every screen line of the current view (built in full: for tests). */
export const viewLines = (c: ConvState): MessageLine[] => layoutLines(viewEntries(c), c.width, markerIndex(c));

/** How many screen lines the current view has. */
export const viewLineCount = (c: ConvState): number => totalLines(viewEntries(c), c.width, markerIndex(c));

/** The lines on screen: `rows` lines ending `scroll` lines above the newest. */
export const screenLines = (c: ConvState): MessageLine[] => visibleLines(viewEntries(c), c.width, c.scroll, c.rows, markerIndex(c));

/** How far back the view can scroll: the oldest line at the top of a full pane. */
export const maxScroll = (c: ConvState): number => Math.max(0, viewLineCount(c) - c.rows);

/** The windows in list order: the inbox (null) then each open conversation. */
export const windows = (c: ConvState): ReadonlyArray<string | null> => [null, ...c.open];

export const totalUnread = (c: ConvState): number => Object.values(c.unread).reduce((a, b) => a + b, 0);

/** The numbers of the windows with unread messages, as irssi's activity list shows them. */
export const activity = (c: ConvState): number[] =>
  windows(c).flatMap((v, i) => (v !== null && (c.unread[v] ?? 0) > 0 ? [i + 1] : []));

/** Our messages the server has not accepted yet. */
export const pendingCount = (c: ConvState): number => c.entries.reduce((n, e) => (e.own && e.id === 0 ? n + 1 : n), 0);
