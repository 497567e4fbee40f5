/**
 * The account list: one page of names matching a filter. The selection is a name, not a row, so
 * the same person stays selected when accounts are added before them or the window is resized.
 */
import type { Action } from './actions.js';

export interface UsersState {
  /** The wildcard filter the list shows (plain text matches anywhere). */
  readonly pattern: string;
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
  readonly names: readonly string[];
  /** The selected account, whether or not it is on the current page. */
  readonly selected: string | null;
  /** Whether the first page has arrived (so "no match" is not said while loading). */
  readonly loaded: boolean;
  /** After a page turn by the arrows: which end of the arriving page to select. */
  readonly edge: 'first' | 'last' | null;
  /** Watched accounts known to be online (Watch, PresenceChanged); null until the server says. */
  readonly online: ReadonlySet<string> | null;
  /** Per group, how often its members changed (GroupChanged): the pane asks again for the one on screen. */
  readonly membersChanged: Readonly<Record<string, number>>;
}

export const initialUsers: UsersState = { pattern: '', page: 0, pageSize: 10, total: 0, names: [], selected: null, loaded: false, edge: null, online: null, membersChanged: {} };

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** The wildcard sent to the server for a filter: plain text matches anywhere in the name. */
export function filterPattern(filter: string): string {
  const f = filter.trim();
  if (f === '') return '*';
  return /[*?]/.test(f) ? f : `*${f}*`;
}

/** Row of the selected user on this page, or -1. */
export const selectedRow = (u: UsersState): number => (u.selected === null ? -1 : u.names.indexOf(u.selected));

const lastPage = (u: UsersState) => Math.max(0, Math.ceil(u.total / u.pageSize) - 1);

export function users(u: UsersState, a: Action): UsersState {
  switch (a.type) {
    case 'usersLoaded': {
      const next = { ...u, total: a.total, names: [...a.names], loaded: true, edge: null };
      const edgeName = u.edge === 'first' ? a.names[0] : u.edge === 'last' ? a.names[a.names.length - 1] : undefined;
      return { ...next, page: Math.min(u.page, lastPage(next)), selected: edgeName ?? u.selected };
    }
    case 'userMove': {
      const row = selectedRow(u);
      if (u.names.length === 0) return u;
      if (row === -1) return { ...u, selected: u.names[a.delta < 0 ? u.names.length - 1 : 0]! };
      const next = row + a.delta;
      // Moving past the edge of a page turns the page; the list that arrives picks the name.
      if (next < 0) return u.page > 0 ? { ...u, page: u.page - 1, selected: null, edge: 'last' } : u;
      if (next >= u.names.length) return u.page < lastPage(u) ? { ...u, page: u.page + 1, selected: null, edge: 'first' } : u;
      return { ...u, selected: u.names[next]! };
    }
    case 'usersPage': {
      const page = clamp(u.page + a.delta, 0, lastPage(u));
      return page === u.page ? u : { ...u, page };
    }
    case 'presence': {
      const online = new Set(a.online ?? u.online ?? []);
      for (const c of a.changes ?? []) {
        if (c.online) online.add(c.name);
        else online.delete(c.name);
      }
      return { ...u, online };
    }
    case 'conn':
      // Disconnected, nobody's presence is known: no dot rather than a stale one.
      return a.status !== 'connected' && u.online !== null ? { ...u, online: null } : u;
    case 'usersFilter':
      return { ...u, pattern: a.pattern.trim(), page: 0, loaded: false };
    case 'membersChanged':
      return { ...u, membersChanged: { ...u.membersChanged, [a.group]: (u.membersChanged[a.group] ?? 0) + 1 } };
    case 'layout': {
      const pageSize = Math.max(1, a.usersPageSize);
      if (pageSize === u.pageSize) return u;
      // Keep the selected user (else the first one shown) on the page after the resize.
      const row = selectedRow(u);
      const first = u.page * u.pageSize + Math.max(0, row);
      return { ...u, pageSize, page: Math.floor(first / pageSize) };
    }
    default:
      return u;
  }
}
