/**
 * Group conversations in the PostgreSQL store (the rules of each operation are in groupOps.ts, the
 * tables and the two hot functions in postgresGroupSchema.ts). Runs inside the batch's transaction
 * (postgresOps.ts). What the other nodes must hear goes with the wake-ups of that transaction, one
 * NOTIFY per batch whatever the number of members: a stored message with its members online on
 * other nodes ('g'), acknowledgements for senders on other nodes ('k'), membership changes ('G').
 */
import type pg from 'pg';
import { contentDigest } from './digest.js';
import {
  departureEvents,
  groupEvents,
  type GroupAcked,
  type GroupChangeOp,
  type GroupChangeResult,
  type GroupDeparture,
  type GroupEvent,
  type GroupInfoRow,
  type GroupInsertOp,
  type GroupInsertResult,
  type GroupOp,
  type GroupRefusal,
  type GroupResultOf,
  type Refused,
  type Who,
} from './groupOps.js';
import type { StoredMessage } from './store.js';
import type { Wake } from './postgresWakes.js';
import { globToLike } from './postgresSchema.js';

interface GroupRow {
  id: number;
  owner_id: number;
  invite_only: boolean;
  last_seq: number;
  total_bytes: number;
  joins: number;
}

interface MessageRow {
  id: number;
  group_name: string;
  sender_name: string;
  sender_deleted: boolean;
  sent_at: number;
  content: string;
  client_id: number;
  flags: number;
}

/** The group messages waiting for account $1 with ids above $2. */
const WAITING = `
  FROM group_members mb
  JOIN group_messages gm ON gm.group_id = mb.group_id AND gm.seq > mb.pos
  WHERE mb.account_id = $1 AND gm.sender_id <> $1 AND gm.id > $2
    AND NOT EXISTS (SELECT 1 FROM group_acks k WHERE k.group_id = gm.group_id AND k.account_id = $1 AND k.seq = gm.seq)`;

const VISIBLE = `
  WITH v AS (
    SELECT g.name, g.invite_only, g.owner_id,
      (SELECT count(*)::int FROM group_members m WHERE m.group_id = g.id) AS n,
      EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1) AS member,
      EXISTS (SELECT 1 FROM group_invites i WHERE i.group_id = g.id AND i.account_id = $1) AS invited
    FROM chat_groups g WHERE g.name LIKE $2
  )`;

const refused = (r: GroupRefusal): Refused => ({ refused: r });

export class PgGroups {
  constructor(
    private readonly db: pg.ClientBase,
    private readonly nodeId: string,
    /** The batch's wake-ups (sent before its COMMIT). */
    private readonly wakes: Wake[],
  ) {}

  private q<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.db.query<R>(text, values);
  }

  async one(op: GroupOp): Promise<GroupResultOf[GroupOp['op']]> {
    switch (op.op) {
      case 'groupCreate': {
        await this.lockAccount(op.owner.id);
        if ((await this.groupsOf(op.owner.id)) >= op.maxGroups) return refused('tooMany');
        const r = await this.q<{ id: number }>(
          'INSERT INTO chat_groups (name, owner_id, invite_only, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id',
          [op.group, op.owner.id, op.inviteOnly, op.now],
        );
        const id = r.rows[0]?.id;
        if (id === undefined) return refused('taken');
        await this.addMember({ id, joins: 0, last_seq: 0, total_bytes: 0 }, op.owner.id);
        return { ok: true };
      }
      case 'groupList': {
        const like = `#${globToLike(op.pattern)}`;
        const total = await this.q<{ n: number }>(`${VISIBLE} SELECT count(*)::int AS n FROM v WHERE NOT invite_only OR member OR invited`, [op.accountId, like]);
        const page = await this.q<{ name: string; invite_only: boolean; owner_id: number; n: number; member: boolean; invited: boolean }>(
          `${VISIBLE} SELECT * FROM v WHERE NOT invite_only OR member OR invited ORDER BY name COLLATE "C" LIMIT $3 OFFSET $4`,
          [op.accountId, like, op.limit, op.offset],
        );
        const groups = page.rows.map(
          (r): GroupInfoRow => ({ name: r.name, memberCount: r.n, inviteOnly: r.invite_only, member: r.member, invited: r.invited, owner: r.owner_id === op.accountId }),
        );
        return { total: total.rows[0]!.n, groups };
      }
      case 'groupMembers': {
        const g = await this.group(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.invite_only && !(await this.isMember(g.id, op.accountId))) return refused('notMember');
        const total = await this.q<{ n: number }>('SELECT count(*)::int AS n FROM group_members WHERE group_id = $1', [g.id]);
        const page = await this.q<{ name: string; account_id: number }>(
          `SELECT a.name, m.account_id FROM group_members m JOIN accounts a ON a.id = m.account_id
           WHERE m.group_id = $1 ORDER BY a.name COLLATE "C" LIMIT $2 OFFSET $3`,
          [g.id, op.limit, op.offset],
        );
        return { total: total.rows[0]!.n, members: page.rows.map((r) => ({ name: r.name, accountId: r.account_id, owner: r.account_id === g.owner_id })) };
      }
      case 'groupInsert':
        return this.insert(op);
      case 'groupAck':
        return { acked: await this.ack(op.accountId, op.ids) };
      default: {
        const r = await this.change(op);
        this.tell(groupEvents(op, r as never));
        return r;
      }
    }
  }

  /** Up to `max` group messages waiting for the account (ids above `after`), oldest first, and how many wait in all. */
  async fetch(accountId: number, max: number, after = 0): Promise<{ messages: StoredMessage[]; total: number }> {
    const total = await this.count(accountId, after);
    if (total === 0) return { messages: [], total };
    const r = await this.q<MessageRow>(
      `SELECT gm.id, g.name AS group_name, a.name AS sender_name, (a.deleted_at IS NOT NULL) AS sender_deleted, gm.sent_at, gm.content,
              gm.client_id, gm.flags
       ${WAITING.replace('WHERE', 'JOIN chat_groups g ON g.id = mb.group_id JOIN accounts a ON a.id = gm.sender_id WHERE')}
       ORDER BY gm.id LIMIT $3`,
      [accountId, after, max],
    );
    const messages = r.rows.map(
      (m): StoredMessage => ({
        id: m.id,
        group: m.group_name,
        senderName: m.sender_name,
        senderDeleted: m.sender_deleted,
        clientId: m.client_id,
        flags: m.flags,
        sentAt: m.sent_at,
        content: m.content,
      }),
    );
    return { messages, total };
  }

  /** How many group messages wait for the account (with ids above `after`). */
  async count(accountId: number, after = 0): Promise<number> {
    return (await this.q<{ n: number }>(`SELECT count(*)::int AS n ${WAITING}`, [accountId, after])).rows[0]!.n;
  }

  /** The account `name` is deleted: it leaves every group it is in (its invites go too); the other nodes are told. */
  async leaveAll(accountId: number): Promise<GroupDeparture[]> {
    await this.q('DELETE FROM group_invites WHERE account_id = $1', [accountId]);
    const name = (await this.q<{ name: string }>('SELECT name FROM accounts WHERE id = $1', [accountId])).rows[0]?.name ?? '';
    const gs = await this.q<GroupRow & { name: string }>(
      `SELECT g.* FROM chat_groups g JOIN group_members m ON m.group_id = g.id WHERE m.account_id = $1 ORDER BY g.id FOR UPDATE OF g`,
      [accountId],
    );
    const out: GroupDeparture[] = [];
    for (const g of gs.rows) {
      const d = { group: g.name, ...(await this.remove(g, accountId)) };
      this.tell(departureEvents(name, d));
      out.push(d);
    }
    return out;
  }

  private async change(op: GroupChangeOp): Promise<GroupResultOf[GroupChangeOp['op']]> {
    const g = await this.group(op.group, true);
    if (!g) return refused('noSuchGroup');
    switch (op.op) {
      case 'groupJoin': {
        const me = op.who.id;
        if (await this.isMember(g.id, me)) return { ok: true, joined: false, members: await this.memberIds(g.id) };
        if (g.invite_only && (await this.q('SELECT 1 FROM group_invites WHERE group_id = $1 AND account_id = $2', [g.id, me])).rowCount === 0) {
          return refused('notInvited');
        }
        const n = await this.q<{ n: number }>('SELECT count(*)::int AS n FROM group_members WHERE group_id = $1', [g.id]);
        if (n.rows[0]!.n >= op.maxMembers) return refused('full');
        await this.lockAccount(me);
        if ((await this.groupsOf(me)) >= op.maxGroups) return refused('tooMany');
        await this.q('DELETE FROM group_invites WHERE group_id = $1 AND account_id = $2', [g.id, me]);
        await this.addMember(g, me);
        return { ok: true, joined: true, members: await this.memberIds(g.id) };
      }
      case 'groupInvite': {
        if (!(await this.isMember(g.id, op.by.id))) return refused('notMember');
        if ((await this.q('SELECT 1 FROM accounts WHERE id = $1 AND deleted_at IS NULL', [op.who.id])).rowCount === 0) return refused('noSuchUser');
        if (await this.isMember(g.id, op.who.id)) return { ok: true, member: true };
        await this.q('INSERT INTO group_invites (group_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [g.id, op.who.id]);
        return { ok: true, member: false };
      }
      case 'groupLeave':
        if (!(await this.isMember(g.id, op.who.id))) return refused('notMember');
        return this.remove(g, op.who.id);
      case 'groupKick':
        if (g.owner_id !== op.by.id) return refused('notOwner');
        if (!(await this.isMember(g.id, op.who.id))) return refused('notMember');
        await this.q('DELETE FROM group_invites WHERE group_id = $1 AND account_id = $2', [g.id, op.who.id]);
        return this.remove(g, op.who.id);
      case 'groupDelete': {
        if (g.owner_id !== op.by.id) return refused('notOwner');
        const members = await this.memberIds(g.id);
        await this.drop(g.id);
        return { ok: true, members, deleted: true };
      }
    }
  }

  /** Wakes every other node with these pushes to make (each node pushes to its own sessions among `to`). */
  private tell(events: readonly GroupEvent[]): void {
    for (const e of events) if (e.to.length > 0) this.wakes.push(['G', e.group, e.change, e.name, e.by, ...e.to]);
  }

  private async group(name: string, lock = false): Promise<GroupRow | undefined> {
    const r = await this.q<GroupRow>(`SELECT id, owner_id, invite_only, last_seq, total_bytes, joins FROM chat_groups WHERE name = $1${lock ? ' FOR UPDATE' : ''}`, [
      name,
    ]);
    return r.rows[0];
  }

  private async isMember(groupId: number, accountId: number): Promise<boolean> {
    return ((await this.q('SELECT 1 FROM group_members WHERE group_id = $1 AND account_id = $2', [groupId, accountId])).rowCount ?? 0) > 0;
  }

  private async memberIds(groupId: number): Promise<number[]> {
    return (await this.q<{ account_id: number }>('SELECT account_id FROM group_members WHERE group_id = $1', [groupId])).rows.map((r) => r.account_id);
  }

  private async groupsOf(accountId: number): Promise<number> {
    return (await this.q<{ n: number }>('SELECT count(*)::int AS n FROM group_members WHERE account_id = $1', [accountId])).rows[0]!.n;
  }

  /** One account's group count is checked and raised under a lock of its own, so two nodes cannot both take its last place. */
  private async lockAccount(accountId: number): Promise<void> {
    await this.q('SELECT pg_advisory_xact_lock(2, $1::int)', [accountId % 0x7fffffff]);
  }

  private async addMember(g: Pick<GroupRow, 'id' | 'joins' | 'last_seq' | 'total_bytes'>, accountId: number): Promise<void> {
    await this.q('INSERT INTO group_members (group_id, account_id, joined, pos, pos_bytes) VALUES ($1, $2, $3, $4, $5)', [
      g.id,
      accountId,
      g.joins + 1,
      g.last_seq,
      g.total_bytes,
    ]);
    await this.q('UPDATE chat_groups SET joins = $2 WHERE id = $1', [g.id, g.joins + 1]);
  }

  /** Takes a member out (the group's row is locked): ownership passes on, the last member's leaving deletes the group. */
  private async remove(g: GroupRow, accountId: number): Promise<GroupChangeResult> {
    await this.q('DELETE FROM group_members WHERE group_id = $1 AND account_id = $2', [g.id, accountId]);
    await this.q('DELETE FROM group_acks WHERE group_id = $1 AND account_id = $2', [g.id, accountId]);
    const members = await this.memberIds(g.id);
    if (members.length === 0) {
      await this.drop(g.id);
      return { ok: true, members, deleted: true };
    }
    let newOwner: Who | undefined;
    if (g.owner_id === accountId) {
      const r = await this.q<Who>(
        'SELECT m.account_id AS id, a.name FROM group_members m JOIN accounts a ON a.id = m.account_id WHERE m.group_id = $1 ORDER BY m.joined LIMIT 1',
        [g.id],
      );
      newOwner = r.rows[0]!;
      await this.q('UPDATE chat_groups SET owner_id = $2 WHERE id = $1', [g.id, newOwner.id]);
    }
    await this.q('DELETE FROM group_messages WHERE group_id = $1 AND seq <= (SELECT min(pos) FROM group_members WHERE group_id = $1)', [g.id]);
    return { ok: true, members, ...(newOwner !== undefined ? { newOwner } : {}) };
  }

  private async drop(groupId: number): Promise<void> {
    for (const t of ['chat_groups', 'group_members', 'group_invites', 'group_messages', 'group_acks']) {
      await this.q(`DELETE FROM ${t} WHERE ${t === 'chat_groups' ? 'id' : 'group_id'} = $1`, [groupId]);
    }
  }

  private async insert(op: GroupInsertOp): Promise<GroupInsertResult> {
    const r = await this.q<{ status: string; dup: number | null; recipients: number[] | null; elsewhere: number[] | null }>(
      'SELECT * FROM group_insert($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [
        op.id,
        op.group,
        op.senderId,
        op.clientId,
        op.flags,
        op.sentAt,
        op.content,
        op.clientId === 0 ? 0 : contentDigest(Buffer.from(op.content, 'latin1')),
        op.dedupSince,
        op.maxQueue,
        op.maxQueueBytes,
        this.nodeId,
      ],
    );
    const x = r.rows[0]!;
    switch (x.status) {
      case 'stored': {
        const elsewhere = x.elsewhere ?? [];
        if (elsewhere.length > 0) {
          this.wakes.push(['g', op.group, op.id, op.sender, op.clientId, op.flags, op.sentAt, op.content, ...elsewhere]);
        }
        return { stored: true, recipients: x.recipients ?? [] };
      }
      case 'duplicate':
        return { stored: false, duplicateOf: x.dup! };
      case 'reused':
        return { stored: false, reused: true };
      default:
        return { stored: false, refused: x.status as GroupRefusal };
    }
  }

  private async ack(accountId: number, ids: readonly number[]): Promise<GroupAcked[]> {
    if (ids.length === 0) return [];
    const r = await this.q<{ acked_id: number; acked_sender: number; away: boolean }>('SELECT * FROM group_ack($1, $2::bigint[], $3)', [
      accountId,
      ids,
      this.nodeId,
    ]);
    const away = r.rows.filter((x) => x.away).map((x) => x.acked_id);
    // In records of 500 ids, each well under the NOTIFY payload limit.
    for (let i = 0; i < away.length; i += 500) this.wakes.push(['k', ...away.slice(i, i + 500)]);
    return r.rows.map((x) => ({ id: x.acked_id, senderId: x.acked_sender }));
  }
}
