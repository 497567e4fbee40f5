/**
 * The SQLite store's group queries that only read (sqliteGroups.ts writes): the groups an account
 * can see, a group's members, and the group messages waiting for an account (fetch and count).
 */
import type Database from 'better-sqlite3';
import type { GroupInfoRow, GroupResultOf, MemberRow } from './groupOps.js';
import type { StoredMessage } from './store.js';

interface MessageRow {
  id: number;
  group_name: string;
  sender_name: string;
  sender_deleted: number;
  sent_at: number;
  content: string;
  client_id: number;
  flags: number;
}

/** The group messages waiting for account @me with ids above @after. */
const WAITING = `
  FROM group_members mb
  JOIN group_messages gm ON gm.group_id = mb.group_id AND gm.seq > mb.pos
  WHERE mb.account_id = @me AND gm.sender_id <> @me AND gm.id > @after
    AND NOT EXISTS (SELECT 1 FROM group_acks k WHERE k.group_id = gm.group_id AND k.account_id = @me AND k.seq = gm.seq)`;

const VISIBLE = `
  WITH v AS (
    SELECT g.name, g.invite_only, g.owner_id,
      (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS n,
      EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = @me) AS member,
      EXISTS (SELECT 1 FROM group_invites i WHERE i.group_id = g.id AND i.account_id = @me) AS invited
    FROM chat_groups g WHERE g.name GLOB '#' || @pattern
  )`;

export class SqliteGroupReads {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      countVisible: db.prepare<{ me: number; pattern: string }, { n: number }>(`${VISIBLE} SELECT count(*) AS n FROM v WHERE invite_only = 0 OR member OR invited`),
      pageVisible: db.prepare<
        { me: number; pattern: string; limit: number; offset: number },
        { name: string; invite_only: number; owner_id: number; n: number; member: number; invited: number }
      >(`${VISIBLE} SELECT * FROM v WHERE invite_only = 0 OR member OR invited ORDER BY name LIMIT @limit OFFSET @offset`),
      countMembers: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM group_members WHERE group_id = ?'),
      pageMembers: db.prepare<[number, number, number], { name: string; account_id: number }>(
        'SELECT a.name, m.account_id FROM group_members m JOIN accounts a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY a.name LIMIT ? OFFSET ?',
      ),
      pageWaiting: db.prepare<{ me: number; after: number; max: number }, MessageRow>(
        `SELECT gm.id, g.name AS group_name, a.name AS sender_name, (a.deleted_at IS NOT NULL) AS sender_deleted, gm.sent_at, gm.content,
                gm.client_id, gm.flags
         ${WAITING.replace('WHERE', 'JOIN chat_groups g ON g.id = mb.group_id JOIN accounts a ON a.id = gm.sender_id WHERE')}
         ORDER BY gm.id LIMIT @max`,
      ),
      countWaiting: db.prepare<{ me: number; after: number }, { n: number }>(`SELECT count(*) AS n ${WAITING}`),
    };
  }

  /** The groups the account can see whose name after the `#` matches `pattern` (GLOB), one sorted page, and the total. */
  list(pattern: string, me: number, offset: number, limit: number): GroupResultOf['groupList'] {
    const groups = this.s.pageVisible.all({ me, pattern, limit, offset }).map(
      (r): GroupInfoRow => ({
        name: r.name,
        memberCount: r.n,
        inviteOnly: r.invite_only !== 0,
        member: r.member !== 0,
        invited: r.invited !== 0,
        owner: r.owner_id === me,
      }),
    );
    return { total: this.s.countVisible.get({ me, pattern })!.n, groups };
  }

  /** One page of a group's members sorted by name, and how many it has. */
  members(groupId: number, ownerId: number, offset: number, limit: number): { total: number; members: MemberRow[] } {
    const members = this.s.pageMembers.all(groupId, limit, offset).map((r): MemberRow => ({ name: r.name, accountId: r.account_id, owner: r.account_id === ownerId }));
    return { total: this.s.countMembers.get(groupId)!.n, members };
  }

  /** Up to `max` group messages waiting for the account (ids above `after`), oldest first, and how many wait in all. */
  fetch(me: number, max: number, after: number): { messages: StoredMessage[]; total: number } {
    const total = this.count(me, after);
    if (total === 0) return { messages: [], total };
    const messages = this.s.pageWaiting.all({ me, after, max }).map(
      (r): StoredMessage => ({
        id: r.id,
        group: r.group_name,
        senderName: r.sender_name,
        senderDeleted: r.sender_deleted !== 0,
        clientId: r.client_id,
        flags: r.flags,
        sentAt: r.sent_at,
        content: r.content,
      }),
    );
    return { messages, total };
  }

  /** How many group messages wait for the account (with ids above `after`). */
  count(me: number, after: number): number {
    return this.s.countWaiting.get({ me, after })!.n;
  }
}
