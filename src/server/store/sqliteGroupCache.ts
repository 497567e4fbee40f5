/**
 * What the SQLite store's worker keeps in memory of its busiest groups, so that the two hot group
 * operations (a message stored, a member's Ack) are a few writes and no reads: each group's row,
 * its members' positions, and its messages above the slowest member (their ids, senders and byte
 * counts; the content stays on disk). One worker owns the database, so nothing else changes it;
 * sqliteGroups.ts changes this copy only after its statements have run, drops a group from it on
 * any change of membership (it is read again when next used), and forgets everything when a batch
 * does not commit.
 */
import type Database from 'better-sqlite3';

export interface CachedMember {
  pos: number;
  posBytes: number;
}

export interface CachedRow {
  id: number;
  senderId: number;
  cumBytes: number;
}

export interface CachedGroup {
  id: number;
  name: string;
  lastSeq: number;
  totalBytes: number;
  members: Map<number, CachedMember>;
  /** The messages above the floor, in order: rows[i - head] has sequence number `first + i - head`. */
  rows: CachedRow[];
  head: number;
  first: number;
  /** Per member, the sequence numbers it acknowledged ahead of its position. */
  ahead: Map<number, Set<number>>;
}

/** Groups kept at once; the least recently used goes first. */
const MAX_GROUPS = 1024;

export class GroupCache {
  private readonly byName = new Map<string, CachedGroup>();
  private readonly byId = new Map<number, CachedGroup>();
  /** Message id -> its group and sequence number, for the messages above their group's floor. */
  private readonly messages = new Map<number, { g: CachedGroup; seq: number }>();
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      byName: db.prepare<[string], { id: number; name: string; last_seq: number; total_bytes: number }>(
        'SELECT id, name, last_seq, total_bytes FROM chat_groups WHERE name = ?',
      ),
      byId: db.prepare<[number], { id: number; name: string; last_seq: number; total_bytes: number }>(
        'SELECT id, name, last_seq, total_bytes FROM chat_groups WHERE id = ?',
      ),
      members: db.prepare<[number], { account_id: number; pos: number; pos_bytes: number }>('SELECT account_id, pos, pos_bytes FROM group_members WHERE group_id = ?'),
      rows: db.prepare<[number, number], { seq: number; id: number; sender_id: number; cum_bytes: number }>(
        'SELECT seq, id, sender_id, cum_bytes FROM group_messages WHERE group_id = ? AND seq > ? ORDER BY seq',
      ),
      ahead: db.prepare<[number], { account_id: number; seq: number }>('SELECT account_id, seq FROM group_acks WHERE group_id = ?'),
      groupOf: db.prepare<[number], number>('SELECT group_id FROM group_messages WHERE id = ?').pluck(),
    };
  }

  /** The group named `name`, read from the database if it is not kept; undefined if there is none. */
  named(name: string): CachedGroup | undefined {
    const g = this.byName.get(name);
    if (g !== undefined) return this.touch(g);
    const row = this.s.byName.get(name);
    return row && this.load(row);
  }

  /** The group and sequence number of a message above its group's floor (undefined: unknown, or every member has passed it). */
  message(id: number): { g: CachedGroup; seq: number } | undefined {
    const m = this.messages.get(id);
    if (m !== undefined) return m;
    const groupId = this.s.groupOf.get(id);
    if (groupId === undefined || this.byId.has(groupId)) return undefined;
    const row = this.s.byId.get(groupId);
    if (!row) return undefined;
    this.load(row);
    return this.messages.get(id);
  }

  /** The row of sequence number `seq`, if it is above the floor. */
  row(g: CachedGroup, seq: number): CachedRow | undefined {
    return g.rows[g.head + seq - g.first];
  }

  /** A message was stored. */
  added(g: CachedGroup, seq: number, row: CachedRow): void {
    if (g.rows.length - g.head === 0) g.first = seq;
    g.rows.push(row);
    this.messages.set(row.id, { g, seq });
    g.lastSeq = seq;
    g.totalBytes = row.cumBytes;
  }

  /** The member furthest behind (the group's floor): every message up to its position may go. */
  floor(g: CachedGroup): CachedMember {
    let f: CachedMember | undefined;
    for (const m of g.members.values()) if (f === undefined || m.pos < f.pos) f = m;
    return f ?? { pos: g.lastSeq, posBytes: g.totalBytes };
  }

  /** The messages up to `seq` were removed. */
  removedUpTo(g: CachedGroup, seq: number): void {
    while (g.head < g.rows.length && g.first <= seq) {
      this.messages.delete(g.rows[g.head]!.id);
      g.head++;
      g.first++;
    }
    if (g.head > 1024 && g.head * 2 > g.rows.length) {
      g.rows = g.rows.slice(g.head);
      g.head = 0;
    }
  }

  /** Stops keeping a group (its membership changed, or it is gone): it is read again when next used. */
  forget(groupId: number): void {
    const g = this.byId.get(groupId);
    if (g === undefined) return;
    this.byId.delete(groupId);
    this.byName.delete(g.name);
    for (let i = g.head; i < g.rows.length; i++) this.messages.delete(g.rows[i]!.id);
  }

  /** A batch did not commit: what it did to this copy may not have happened. */
  forgetAll(): void {
    this.byName.clear();
    this.byId.clear();
    this.messages.clear();
  }

  private touch(g: CachedGroup): CachedGroup {
    this.byName.delete(g.name);
    this.byName.set(g.name, g);
    return g;
  }

  private load(row: { id: number; name: string; last_seq: number; total_bytes: number }): CachedGroup {
    const g: CachedGroup = {
      id: row.id,
      name: row.name,
      lastSeq: row.last_seq,
      totalBytes: row.total_bytes,
      members: new Map(this.s.members.all(row.id).map((m) => [m.account_id, { pos: m.pos, posBytes: m.pos_bytes }])),
      rows: [],
      head: 0,
      first: row.last_seq + 1,
      ahead: new Map(),
    };
    const floor = this.floor(g).pos;
    g.first = floor + 1;
    for (const r of this.s.rows.iterate(row.id, floor)) {
      // Sequence numbers above the floor are contiguous: a message goes only once every member passed it.
      g.rows.push({ id: r.id, senderId: r.sender_id, cumBytes: r.cum_bytes });
      this.messages.set(r.id, { g, seq: r.seq });
    }
    for (const a of this.s.ahead.all(row.id)) {
      let set = g.ahead.get(a.account_id);
      if (!set) g.ahead.set(a.account_id, (set = new Set()));
      set.add(a.seq);
    }
    this.byName.set(g.name, g);
    this.byId.set(g.id, g);
    if (this.byName.size > MAX_GROUPS) this.forget(this.byName.values().next().value!.id);
    return g;
  }
}
