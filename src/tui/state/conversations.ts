/**
 * Messages and the views on them: the all-messages inbox plus one view per conversation, unread
 * counts, read markers, scrollback. Messages are kept in server-id order whatever way they arrived
 * (pushed, fetched, restored from history), and shown once even when the server repeats them.
 */
import { MessageFlags } from '../../protocol/schema.js';
import { foldIncludes } from '../text/fold.js';
import type { Action } from './actions.js';
import { addSeen, emptySeen, hasSeen, seenFrom } from './seenSet.js';
import type { ConvState, Delivery, Entry, IncomingMessage, PendingMessage, StoredMessage } from './types.js';
import { maxScroll, viewEntries, viewKey, viewLineCount, windows } from './views.js';

export type { ConvState };

export const initialConvs: ConvState = {
  entries: [],
  seenIds: emptySeen(),
  seenClient: emptySeen(),
  open: [],
  view: null,
  unread: {},
  scroll: 0,
  newBelow: 0,
  rows: 10,
  width: 80,
  cleared: {},
  readTo: {},
  bells: 0,
  search: null,
  nextSeq: 1,
};

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
const order = (e: Entry) => (e.id === 0 ? Number.MAX_SAFE_INTEGER : e.id);
const compare = (a: Entry, b: Entry) => order(a) - order(b) || a.seq - b.seq;
const clientKey = (sender: string, clientId: number) => `${sender}/${clientId}`;
const idKey = (id: number, sentAt: number) => `${id}@${sentAt}`;

/** Entries in server-id order, sorting only when something arrived out of order. */
function merge(old: readonly Entry[], added: readonly Entry[]): Entry[] {
  const all = [...old, ...added];
  for (let i = Math.max(1, old.length); i < all.length; i++) {
    if (compare(all[i - 1]!, all[i]!) > 0) return all.sort(compare);
  }
  return all;
}

/** Whatever is on screen at the bottom of the view counts as read. */
function settle(c: ConvState): ConvState {
  if (c.scroll > 0 || c.search) return c;
  let unread = c.unread;
  if (c.view === null) {
    if (Object.keys(unread).length > 0) unread = {};
  } else if (unread[c.view] !== undefined) {
    const { [c.view]: _read, ...rest } = unread;
    unread = rest;
  }
  if (unread === c.unread && c.newBelow === 0) return c;
  return { ...c, unread, newBelow: 0 };
}

const withOpen = (c: ConvState, name: string): ConvState => (c.open.includes(name) ? c : { ...c, open: [...c.open, name] });

/** Everything in `views` seen up to now (their read markers move to the end). */
const readUpToNow = (c: ConvState, views: ReadonlyArray<string | null>): ConvState => ({
  ...c,
  readTo: { ...c.readTo, ...Object.fromEntries(views.map((v) => [viewKey(v), c.nextSeq - 1])) },
});

/** Puts a view on screen; the one left behind has been read up to now (its marker moves to its end). */
function show(c: ConvState, view: string | null): ConvState {
  const left = view !== c.view ? readUpToNow(c, [c.view]) : c;
  return settle({ ...left, view, scroll: 0, newBelow: 0, search: null });
}

function setScroll(c: ConvState, scroll: number): ConvState {
  const v = clamp(scroll, 0, maxScroll(c));
  if (v === c.scroll) return c;
  return settle({ ...c, scroll: v, newBelow: v === 0 ? 0 : c.newBelow });
}

function addIncoming(c: ConvState, msgs: readonly IncomingMessage[], me: string, live: boolean): ConvState {
  // Ids and client keys of this batch, checked alongside the sets (a batch may repeat itself).
  const newIds = new Set<string>();
  const newClient = new Set<string>();
  let entries = c.entries;
  const added: Entry[] = [];
  const unread: Record<string, number> = { ...c.unread };
  let open = c.open;
  let seq = c.nextSeq;
  for (const m of msgs) {
    const ik = idKey(m.id, m.sentAt);
    if (hasSeen(c.seenIds, ik) || newIds.has(ik)) continue;
    const ck = m.clientId !== 0 ? clientKey(m.sender, m.clientId) : null;
    newIds.add(ik);
    if (ck && (hasSeen(c.seenClient, ck) || newClient.has(ck))) {
      // A message to ourselves: our own entry already shows it, and now it is delivered.
      if (m.sender === me) entries = entries.map((e) => (e.own && e.clientId === m.clientId ? { ...e, id: e.id || m.id, delivery: 'delivered' } : e));
      continue;
    }
    if (ck) newClient.add(ck);
    // A group message belongs to the group's window, shown with its sender.
    const peer = m.group ?? m.sender;
    added.push({
      key: `i${ik}`,
      id: m.id,
      seq: seq++,
      sender: m.sender,
      peer,
      own: false,
      clientId: m.clientId,
      sentAt: m.sentAt,
      text: m.text,
      senderDeleted: (m.flags & MessageFlags.SENDER_DELETED) !== 0 || undefined,
      action: (m.flags & MessageFlags.ACTION) !== 0 || undefined,
    });
    unread[peer] = (unread[peer] ?? 0) + 1;
    if (!open.includes(peer)) open = [...open, peer];
  }
  if (added.length === 0 && entries === c.entries) return c;
  const seenIds = addSeen(c.seenIds, [...newIds]);
  const seenClient = addSeen(c.seenClient, [...newClient]);
  // A live message for a window that is not on screen rings the bell (the inbox shows every message).
  const offScreen = live && (c.search !== null || (c.view !== null && added.some((e) => e.peer !== c.view)));
  const next: ConvState = { ...c, entries: merge(entries, added), seenIds, seenClient, unread, open, nextSeq: seq, bells: c.bells + (offScreen ? 1 : 0) };
  if (c.scroll === 0 || c.search) return settle(next);
  // Scrolled back: keep the same lines on screen and count what arrived below them.
  const before = viewLineCount(c);
  const after = viewLineCount(next);
  const inView = added.filter((e) => c.view === null || e.peer === c.view).length;
  return { ...next, scroll: c.scroll + (after - before), newBelow: c.newBelow + inView };
}

/** An own message not accepted yet, shown as pending. */
const pendingEntryOf = (p: PendingMessage, me: string, seq: number): Entry => ({
  key: `o${p.clientId}.${seq}`,
  id: 0,
  seq,
  sender: me,
  peer: p.recipient,
  own: true,
  clientId: p.clientId,
  sentAt: p.at,
  text: p.text,
  delivery: 'pending',
  ...(p.action ? { action: true } : {}),
});

/**
 * At login: the messages from the history file (nothing unread, everything known and read, what
 * /clear hid per view by server id hidden again) and the outbox (pending, in the order sent).
 */
function restore(c: ConvState, stored: readonly StoredMessage[], outbox: readonly PendingMessage[], me: string, clearedIds: Readonly<Record<string, number>>): ConvState {
  const ids: string[] = [];
  const clientKeys: string[] = [];
  const open: string[] = [];
  let seq = c.nextSeq;
  // A message to ourselves is kept twice (sent and received): show it once, as sent.
  const ownKeys = new Set(stored.filter((m) => m.own && m.clientId !== 0).map((m) => clientKey(m.sender, m.clientId)));
  const kept = stored.filter((m) => m.own || m.clientId === 0 || !ownKeys.has(clientKey(m.sender, m.clientId)));
  for (const m of stored) if (!m.own) ids.push(idKey(m.id, m.sentAt));
  const entries: Entry[] = kept.map((m) => {
    if (m.clientId !== 0) clientKeys.push(clientKey(m.sender, m.clientId));
    if (!open.includes(m.peer)) open.push(m.peer);
    return entryOfStored(m, `${m.own ? 'h' : 'i'}${idKey(m.id, m.sentAt)}`, seq++);
  });
  entries.sort(compare);
  for (const p of outbox) {
    clientKeys.push(clientKey(me, p.clientId));
    if (!open.includes(p.recipient)) open.push(p.recipient);
    entries.push(pendingEntryOf(p, me, seq++));
  }
  const cleared: Record<string, number> = {};
  for (const [view, upTo] of Object.entries(clearedIds)) {
    const hidden = entries.filter((e) => e.id !== 0 && e.id <= upTo && (view === '' || e.peer === view));
    if (hidden.length > 0) cleared[view] = Math.max(...hidden.map((e) => e.seq));
  }
  const next = { ...c, entries, seenIds: seenFrom(ids), seenClient: seenFrom(clientKeys), open, cleared, nextSeq: seq };
  return readUpToNow(next, windows(next));
}

function setDelivery(c: ConvState, match: (e: Entry) => boolean, delivery: Delivery, id?: number): ConvState {
  let changed = false;
  const entries = c.entries.map((e) => {
    if (!e.own || !match(e)) return e;
    changed = true;
    // Delivered is final: an Accepted that comes after the receipt does not undo it.
    return { ...e, id: id ?? e.id, delivery: e.delivery === 'delivered' ? 'delivered' : delivery };
  });
  if (!changed) return c;
  return { ...c, entries: id !== undefined ? entries.sort(compare) : entries };
}

/** The own entry a send created, for giving a failed message's text back. */
export const pendingEntry = (c: ConvState, clientId: number): Entry | undefined =>
  c.entries.find((e) => e.own && e.id === 0 && e.clientId === clientId);

/** The highest server id the current view shows (what /clear hides up to, by id, for the next start). */
export const lastIdShown = (c: ConvState): number => viewEntries(c).reduce((max, e) => Math.max(max, e.id), 0);

/** The conversations reducer; `me` is the logged-in account. */
export function conversations(c: ConvState, a: Action, me: string): ConvState {
  switch (a.type) {
    case 'messages':
      return addIncoming(c, a.messages, me, a.live);
    case 'sendStarted': {
      const entry = pendingEntryOf(a, me, c.nextSeq);
      const seenClient = addSeen(c.seenClient, [clientKey(me, a.clientId)]);
      // Writing in a window means what it shows has been read: its marker goes.
      const read = readUpToNow(c, [c.view]);
      return settle({ ...read, entries: [...c.entries, entry], seenClient, nextSeq: c.nextSeq + 1, scroll: 0, newBelow: 0, search: null });
    }
    case 'sendAccepted': {
      const next = setDelivery(c, (e) => e.clientId === a.clientId && (e.id === 0 || e.id === a.id), 'queued', a.id);
      const sent = next.entries.find((e) => e.own && e.id === a.id);
      return sent ? withOpen(next, sent.peer) : next;
    }
    case 'sendFailed': {
      const gone = pendingEntry(c, a.clientId);
      if (!gone) return c;
      const entries = c.entries.filter((e) => e !== gone);
      return { ...c, entries, scroll: Math.min(c.scroll, maxScroll({ ...c, entries })) };
    }
    case 'delivered': {
      const ids = new Set(a.ids);
      return setDelivery(c, (e) => ids.has(e.id), 'delivered');
    }
    case 'query':
      return a.show ? show(withOpen(c, a.name), a.name) : withOpen(c, a.name);
    case 'view':
      return show(c, a.view);
    case 'viewNumber': {
      const w = windows(c);
      return a.n >= 1 && a.n <= w.length ? show(c, w[a.n - 1]!) : c;
    }
    case 'viewNext': {
      const w = windows(c);
      const i = w.indexOf(c.view);
      return show(c, w[(i + a.dir + w.length) % w.length]!);
    }
    case 'viewNextUnread': {
      const w = windows(c);
      const i = w.indexOf(c.view);
      for (let k = 1; k <= w.length; k++) {
        const v = w[(i + k) % w.length]!;
        if (v !== null && (c.unread[v] ?? 0) > 0) return show(c, v);
      }
      return c;
    }
    case 'closeView': {
      if (c.view === null) return c;
      const { [c.view]: _gone, ...unread } = c.unread;
      return show({ ...c, open: c.open.filter((n) => n !== c.view), unread }, null);
    }
    case 'clearView':
      return { ...c, cleared: { ...c.cleared, [viewKey(c.view)]: c.nextSeq - 1 }, scroll: 0, newBelow: 0, search: null };
    case 'layout': {
      const rows = Math.max(1, a.messageRows);
      const width = Math.max(10, a.messageWidth);
      if (rows === c.rows && width === c.width) return c;
      const next = { ...c, rows, width };
      return { ...next, scroll: Math.min(c.scroll, maxScroll(next)) };
    }
    case 'scroll':
      return setScroll(c, c.scroll - a.lines);
    case 'scrollPage':
      return setScroll(c, c.scroll - a.dir * c.rows);
    case 'scrollTo':
      return setScroll(c, a.where === 'bottom' ? 0 : maxScroll(c));
    case 'search': {
      const results = a.results ?? c.entries.filter((e) => foldIncludes(e.text, a.query)).slice(-500);
      return { ...c, search: { query: a.query, results }, scroll: 0, newBelow: 0 };
    }
    case 'searchClose':
      return c.search ? settle({ ...c, search: null, scroll: 0 }) : c;
    case 'loggedIn':
      return a.resumed ? c : restore({ ...initialConvs, rows: c.rows, width: c.width }, a.history ?? [], a.outbox ?? [], a.me, a.cleared ?? {});
    default:
      return c;
  }
}

/** A view entry for a message from the history file (restored at login, or found by /search). */
export function entryOfStored(m: StoredMessage, key: string, seq: number): Entry {
  return {
    key,
    id: m.id,
    seq,
    sender: m.sender,
    peer: m.peer,
    own: m.own,
    clientId: m.clientId,
    sentAt: m.sentAt,
    text: m.text,
    delivery: m.own ? (m.delivery ?? 'queued') : undefined,
    ...(m.action ? { action: true } : {}),
  };
}
