/**
 * Group conversations in the SQLite store (the rules of each operation are in groupOps.ts). Runs in
 * the store's worker thread, inside the batch's transaction, like the rest of sqliteDb.ts. A group
 * message is one row, its message id the rowid; a membership keeps its position in the group. The
 * two hot operations (a message stored, a member's Ack) work on the copy of busy groups kept in
 * memory (sqliteGroupCache.ts); the queries that only read are in sqliteGroupReads.ts.
 */
import type Database from 'better-sqlite3';
import { contentDigest } from './digest.js';
import { GroupCache, type CachedGroup } from './sqliteGroupCache.js';
import { SqliteGroupReads } from './sqliteGroupReads.js';
import type {
  GroupAcked,
  GroupChangeResult,
  GroupDeparture,
  GroupInsertOp,
  GroupInsertResult,
  GroupOp,
  GroupResultOf,
  Refused,
  Who,
} from './groupOps.js';
import type { StoredMessage } from './store.js';

export const GROUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS chat_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  owner_id INTEGER NOT NULL,
  invite_only INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  total_bytes INTEGER NOT NULL DEFAULT 0,
  joins INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS group_members (
  group_id INTEGER NOT NULL,
  account_id INTEGER NOT NULL,
  joined INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  pos_bytes INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_by_account ON group_members (account_id, group_id);
CREATE TABLE IF NOT EXISTS group_invites (
  group_id INTEGER NOT NULL,
  account_id INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_messages (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  sender_id INTEGER NOT NULL,
  client_id INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  cum_bytes INTEGER NOT NULL,
  content TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS group_messages_by_seq ON group_messages (group_id, seq);
CREATE TABLE IF NOT EXISTS group_acks (
  group_id INTEGER NOT NULL,
  account_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id, seq)
) WITHOUT ROWID;
`;

interface GroupRow {
  id: number;
  owner_id: number;
  invite_only: number;
  last_seq: number;
  total_bytes: number;
  joins: number;
}

const refused = (r: Refused['refused']): Refused => ({ refused: r });

export class SqliteGroups {
  private readonly s;
  private readonly cache: GroupCache;
  private readonly reads: SqliteGroupReads;

  constructor(db: Database.Database) {
    db.exec(GROUP_SCHEMA);
    this.cache = new GroupCache(db);
    this.reads = new SqliteGroupReads(db);
    this.s = {
      group: db.prepare<[string], GroupRow>('SELECT id, owner_id, invite_only, last_seq, total_bytes, joins FROM chat_groups WHERE name = ?'),
      createGroup: db.prepare('INSERT INTO chat_groups (name, owner_id, invite_only, created_at) VALUES (?, ?, ?, ?)'),
      member: db.prepare<[number, number], { pos: number; pos_bytes: number }>('SELECT pos, pos_bytes FROM group_members WHERE group_id = ? AND account_id = ?'),
      addMember: db.prepare('INSERT INTO group_members (group_id, account_id, joined, pos, pos_bytes) VALUES (?, ?, ?, ?, ?)'),
      setJoins: db.prepare('UPDATE chat_groups SET joins = ? WHERE id = ?'),
      groupsOf: db.prepare<[number], GroupRow & { name: string }>(
        `SELECT g.id, g.name, g.owner_id, g.invite_only, g.last_seq, g.total_bytes, g.joins
         FROM group_members m JOIN chat_groups g ON g.id = m.group_id WHERE m.account_id = ? ORDER BY g.id`,
      ),
      countGroupsOf: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM group_members WHERE account_id = ?'),
      countMembers: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM group_members WHERE group_id = ?'),
      memberIds: db.prepare<[number], number>('SELECT account_id FROM group_members WHERE group_id = ?').pluck(),
      invited: db.prepare<[number, number], { x: number }>('SELECT 1 AS x FROM group_invites WHERE group_id = ? AND account_id = ?'),
      invite: db.prepare('INSERT OR IGNORE INTO group_invites (group_id, account_id) VALUES (?, ?)'),
      uninvite: db.prepare('DELETE FROM group_invites WHERE group_id = ? AND account_id = ?'),
      uninviteAll: db.prepare('DELETE FROM group_invites WHERE account_id = ?'),
      liveAccount: db.prepare<[number], { x: number }>('SELECT 1 AS x FROM accounts WHERE id = ? AND deleted_at IS NULL'),
      removeMember: db.prepare('DELETE FROM group_members WHERE group_id = ? AND account_id = ?'),
      removeAcks: db.prepare('DELETE FROM group_acks WHERE group_id = ? AND account_id = ?'),
      successor: db.prepare<[number], Who>(
        'SELECT m.account_id AS id, a.name FROM group_members m JOIN accounts a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY m.joined LIMIT 1',
      ),
      setOwner: db.prepare('UPDATE chat_groups SET owner_id = ? WHERE id = ?'),
      dropGroup: [
        db.prepare('DELETE FROM chat_groups WHERE id = ?'),
        db.prepare('DELETE FROM group_members WHERE group_id = ?'),
        db.prepare('DELETE FROM group_invites WHERE group_id = ?'),
        db.prepare('DELETE FROM group_messages WHERE group_id = ?'),
        db.prepare('DELETE FROM group_acks WHERE group_id = ?'),
      ],
      floor: db.prepare<[number], { pos: number; pos_bytes: number }>('SELECT pos, pos_bytes FROM group_members WHERE group_id = ? ORDER BY pos LIMIT 1'),
      collect: db.prepare('DELETE FROM group_messages WHERE group_id = ? AND seq <= ?'),
      findSend: db.prepare<[number, number], { message_id: number; recipient_id: number; sent_at: number; digest: number | null }>(
        'SELECT message_id, recipient_id, sent_at, digest FROM sends WHERE sender_id = ? AND client_id = ?',
      ),
      // A record older than the window is replaced (the caller has checked there is no younger one).
      recordSend: db.prepare(
        `INSERT INTO sends (sender_id, client_id, message_id, recipient_id, sent_at, digest) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sender_id, client_id) DO UPDATE SET
           message_id = excluded.message_id, recipient_id = excluded.recipient_id, sent_at = excluded.sent_at,
           digest = excluded.digest, acked_at = NULL`,
      ),
      advance: db.prepare('UPDATE chat_groups SET last_seq = ?, total_bytes = ? WHERE id = ?'),
      insertMessage: db.prepare(
        'INSERT INTO group_messages (id, group_id, seq, sender_id, client_id, flags, sent_at, cum_bytes, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      move: db.prepare('UPDATE group_members SET pos = ?, pos_bytes = ? WHERE group_id = ? AND account_id = ?'),
      addAhead: db.prepare('INSERT OR IGNORE INTO group_acks (group_id, account_id, seq) VALUES (?, ?, ?)'),
      dropAhead: db.prepare('DELETE FROM group_acks WHERE group_id = ? AND account_id = ? AND seq <= ?'),
    };
  }

  apply(op: GroupOp): GroupResultOf[GroupOp['op']] {
    const s = this.s;
    switch (op.op) {
      case 'groupCreate': {
        if (s.group.get(op.group)) return refused('taken');
        if (s.countGroupsOf.get(op.owner.id)!.n >= op.maxGroups) return refused('tooMany');
        const id = Number(s.createGroup.run(op.group, op.owner.id, op.inviteOnly ? 1 : 0, op.now).lastInsertRowid);
        this.addMember({ id, joins: 0, last_seq: 0, total_bytes: 0 }, op.owner.id);
        return { ok: true };
      }
      case 'groupJoin': {
        const me = op.who.id;
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (s.member.get(g.id, me)) return { ok: true, joined: false, members: s.memberIds.all(g.id) };
        if (g.invite_only && !s.invited.get(g.id, me)) return refused('notInvited');
        if (s.countMembers.get(g.id)!.n >= op.maxMembers) return refused('full');
        if (s.countGroupsOf.get(me)!.n >= op.maxGroups) return refused('tooMany');
        s.uninvite.run(g.id, me);
        this.addMember(g, me);
        return { ok: true, joined: true, members: s.memberIds.all(g.id) };
      }
      case 'groupInvite': {
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (!s.member.get(g.id, op.by.id)) return refused('notMember');
        if (!s.liveAccount.get(op.who.id)) return refused('noSuchUser');
        if (s.member.get(g.id, op.who.id)) return { ok: true, member: true };
        s.invite.run(g.id, op.who.id);
        return { ok: true, member: false };
      }
      case 'groupLeave': {
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (!s.member.get(g.id, op.who.id)) return refused('notMember');
        return this.remove(g, op.who.id);
      }
      case 'groupKick': {
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.owner_id !== op.by.id) return refused('notOwner');
        if (!s.member.get(g.id, op.who.id)) return refused('notMember');
        s.uninvite.run(g.id, op.who.id);
        return this.remove(g, op.who.id);
      }
      case 'groupDelete': {
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.owner_id !== op.by.id) return refused('notOwner');
        const members = s.memberIds.all(g.id);
        this.cache.forget(g.id);
        for (const st of s.dropGroup) st.run(g.id);
        return { ok: true, members, deleted: true };
      }
      case 'groupList':
        return this.reads.list(op.pattern, op.accountId, op.offset, op.limit);
      case 'groupMembers': {
        const g = s.group.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.invite_only && !s.member.get(g.id, op.accountId)) return refused('notMember');
        return this.reads.members(g.id, g.owner_id, op.offset, op.limit);
      }
      case 'groupInsert':
        return this.insert(op);
      case 'groupAck':
        return { acked: this.ack(op.accountId, op.ids) };
    }
  }

  /** Up to `max` group messages waiting for the account (ids above `after`), oldest first, and how many wait in all. */
  fetch(accountId: number, max: number, after = 0): { messages: StoredMessage[]; total: number } {
    return this.reads.fetch(accountId, max, after);
  }

  /** A batch did not commit: the groups kept in memory are read again. */
  forgetAll(): void {
    this.cache.forgetAll();
  }

  /** How many group messages wait for the account (with ids above `after`). */
  count(accountId: number, after = 0): number {
    return this.reads.count(accountId, after);
  }

  /** The account is deleted: it leaves every group it is in (its invites go too). */
  leaveAll(accountId: number): GroupDeparture[] {
    const s = this.s;
    s.uninviteAll.run(accountId);
    const out: GroupDeparture[] = [];
    for (const g of s.groupsOf.all(accountId)) out.push({ group: g.name, ...this.remove(g, accountId) });
    return out;
  }

  private addMember(g: Pick<GroupRow, 'id' | 'joins' | 'last_seq' | 'total_bytes'>, accountId: number): void {
    this.cache.forget(g.id);
    const joined = g.joins + 1;
    this.s.addMember.run(g.id, accountId, joined, g.last_seq, g.total_bytes);
    this.s.setJoins.run(joined, g.id);
  }

  /** Takes a member out: ownership passes on, the last member's leaving deletes the group. */
  private remove(g: GroupRow, accountId: number): GroupChangeResult {
    const s = this.s;
    this.cache.forget(g.id);
    s.removeMember.run(g.id, accountId);
    s.removeAcks.run(g.id, accountId);
    const members = s.memberIds.all(g.id);
    if (members.length === 0) {
      for (const st of s.dropGroup) st.run(g.id);
      return { ok: true, members, deleted: true };
    }
    let newOwner: Who | undefined;
    if (g.owner_id === accountId) {
      newOwner = s.successor.get(g.id)!;
      s.setOwner.run(newOwner.id, g.id);
    }
    this.collectById(g.id);
    return { ok: true, members, ...(newOwner !== undefined ? { newOwner } : {}) };
  }

  private insert(op: GroupInsertOp): GroupInsertResult {
    const s = this.s;
    const g = this.cache.named(op.group);
    if (!g) return { stored: false, refused: 'noSuchGroup' };
    const me = g.members.get(op.senderId);
    if (!me) return { stored: false, refused: 'notMember' };
    const digest = op.clientId === 0 ? 0 : contentDigest(Buffer.from(op.content, 'latin1'));
    if (op.clientId !== 0) {
      const prev = s.findSend.get(op.senderId, op.clientId);
      if (prev && prev.sent_at >= op.dedupSince) {
        const same = prev.recipient_id === -g.id && (prev.digest === null || prev.digest === digest);
        return same ? { stored: false, duplicateOf: prev.message_id } : { stored: false, reused: true };
      }
    }
    const floor = this.cache.floor(g);
    const total = g.totalBytes + op.content.length;
    if (g.lastSeq + 1 - floor.pos > op.maxQueue || total - floor.posBytes > op.maxQueueBytes) return { stored: false, refused: 'full' };
    const seq = g.lastSeq + 1;
    s.advance.run(seq, total, g.id);
    s.insertMessage.run(op.id, g.id, seq, op.senderId, op.clientId, op.flags, op.sentAt, total, op.content);
    if (op.clientId !== 0) s.recordSend.run(op.senderId, op.clientId, op.id, -g.id, op.sentAt, digest);
    // A sender with nothing left to read has its own message too.
    const caughtUp = me.pos === seq - 1;
    if (caughtUp) s.move.run(seq, total, g.id, op.senderId);
    this.cache.added(g, seq, { id: op.id, senderId: op.senderId, cumBytes: total });
    if (caughtUp) {
      me.pos = seq;
      me.posBytes = total;
      // The sender was the one furthest behind (alone in the group, say): what it passed goes.
      if (floor === me) this.collect(g);
    }
    const recipients: number[] = [];
    for (const id of g.members.keys()) if (id !== op.senderId) recipients.push(id);
    return { stored: true, recipients };
  }

  private ack(accountId: number, ids: readonly number[]): GroupAcked[] {
    const s = this.s;
    const acked: GroupAcked[] = [];
    /** The groups with new acknowledgements, and those beyond their member's position. */
    const fresh = new Map<CachedGroup, number[]>();
    for (const id of ids) {
      const at = this.cache.message(id);
      if (at === undefined) continue;
      const m = at.g.members.get(accountId);
      const r = this.cache.row(at.g, at.seq)!;
      if (!m || at.seq <= m.pos || r.senderId === accountId || at.g.ahead.get(accountId)?.has(at.seq)) continue;
      let ahead = at.g.ahead.get(accountId);
      if (!ahead) at.g.ahead.set(accountId, (ahead = new Set()));
      ahead.add(at.seq);
      const list = fresh.get(at.g);
      if (list) list.push(at.seq);
      else fresh.set(at.g, [at.seq]);
      acked.push({ id, senderId: r.senderId });
    }
    for (const [g, seqs] of fresh) {
      const m = g.members.get(accountId)!;
      const ahead = g.ahead.get(accountId)!;
      const had = ahead.size - seqs.length;
      // The position moves over what is acknowledged and what the member sent, up to the first gap;
      // only acknowledgements beyond that gap are written down.
      let pos = m.pos;
      let posBytes = m.posBytes;
      for (let r = this.cache.row(g, pos + 1); r !== undefined && (ahead.has(pos + 1) || r.senderId === accountId); r = this.cache.row(g, pos + 1)) {
        ahead.delete(++pos);
        posBytes = r.cumBytes;
      }
      for (const seq of seqs) if (seq > pos) s.addAhead.run(g.id, accountId, seq);
      if (pos === m.pos) continue;
      s.move.run(pos, posBytes, g.id, accountId);
      if (had > 0) s.dropAhead.run(g.id, accountId, pos);
      const wasFloor = this.cache.floor(g).pos === m.pos;
      m.pos = pos;
      m.posBytes = posBytes;
      if (ahead.size === 0) g.ahead.delete(accountId);
      if (wasFloor) this.collect(g);
    }
    return acked;
  }

  /** Removes the messages every member has passed. */
  private collect(g: CachedGroup): void {
    const { pos } = this.cache.floor(g);
    if (pos < g.first) return;
    this.s.collect.run(g.id, pos);
    this.cache.removedUpTo(g, pos);
  }

  /** After a membership change (read from the database alone), what every member has passed goes. */
  private collectById(groupId: number): void {
    const floor = this.s.floor.get(groupId);
    if (floor) this.s.collect.run(groupId, floor.pos);
  }
}
