/**
 * Group conversations in the in-memory store (memory.ts), with the same rules as the SQLite and
 * PostgreSQL ones (groupOps.ts says what they are).
 */
import { contentDigest } from './digest.js';
import {
  successor,
  type GroupAcked,
  type GroupChangeResult,
  type GroupDeparture,
  type GroupInfoRow,
  type GroupInsertOp,
  type GroupInsertResult,
  type GroupOp,
  type GroupResultOf,
  type MemberRow,
  type Refused,
  type Who,
} from './groupOps.js';
import type { StoredMessage } from './store.js';
import { wildcardToRegExp } from '../rules.js';

interface Membership {
  accountId: number;
  joined: number;
  /** Every message of the group up to this sequence number is acknowledged (or was sent) by this member. */
  pos: number;
  /** The group's content bytes up to `pos`. */
  posBytes: number;
  /** Acknowledged above `pos`. */
  ahead: Set<number>;
}

interface Row {
  seq: number;
  id: number;
  senderId: number;
  clientId: number;
  flags: number;
  sentAt: number;
  content: string;
  /** The group's content bytes up to and including this message. */
  cumBytes: number;
}

interface Group {
  id: number;
  name: string;
  ownerId: number;
  inviteOnly: boolean;
  lastSeq: number;
  totalBytes: number;
  joins: number;
  members: Map<number, Membership>;
  invites: Set<number>;
  /** By sequence number, in order. */
  messages: Map<number, Row>;
}

/** What the memory store shares with its groups: accounts and resend records. */
export interface MemoryGroupsHost {
  account(id: number): { name: string; deleted: boolean } | undefined;
  sends: Map<string, { messageId: number; recipientId: number; sentAt: number; digest: number }>;
}

const refused = (r: Refused['refused']): Refused => ({ refused: r });

export class MemoryGroups {
  private readonly byName = new Map<string, Group>();
  private readonly byAccount = new Map<number, Set<Group>>();
  private readonly byMessage = new Map<number, { g: Group; seq: number }>();
  private nextGroup = 1;

  constructor(private readonly host: MemoryGroupsHost) {}

  apply(op: GroupOp): GroupResultOf[GroupOp['op']] {
    switch (op.op) {
      case 'groupCreate': {
        if (this.byName.has(op.group)) return refused('taken');
        if (this.groupsOf(op.owner.id).size >= op.maxGroups) return refused('tooMany');
        const g: Group = {
          id: this.nextGroup++,
          name: op.group,
          ownerId: op.owner.id,
          inviteOnly: op.inviteOnly,
          lastSeq: 0,
          totalBytes: 0,
          joins: 0,
          members: new Map(),
          invites: new Set(),
          messages: new Map(),
        };
        this.byName.set(g.name, g);
        this.addMember(g, op.owner.id);
        return { ok: true };
      }
      case 'groupJoin': {
        const me = op.who.id;
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.members.has(me)) return { ok: true, joined: false, members: [...g.members.keys()] };
        if (g.inviteOnly && !g.invites.has(me)) return refused('notInvited');
        if (g.members.size >= op.maxMembers) return refused('full');
        if (this.groupsOf(me).size >= op.maxGroups) return refused('tooMany');
        g.invites.delete(me);
        this.addMember(g, me);
        return { ok: true, joined: true, members: [...g.members.keys()] };
      }
      case 'groupInvite': {
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (!g.members.has(op.by.id)) return refused('notMember');
        if (this.host.account(op.who.id)?.deleted !== false) return refused('noSuchUser');
        if (g.members.has(op.who.id)) return { ok: true, member: true };
        g.invites.add(op.who.id);
        return { ok: true, member: false };
      }
      case 'groupLeave': {
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (!g.members.has(op.who.id)) return refused('notMember');
        return this.remove(g, op.who.id);
      }
      case 'groupKick': {
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.ownerId !== op.by.id) return refused('notOwner');
        if (!g.members.has(op.who.id)) return refused('notMember');
        g.invites.delete(op.who.id);
        return this.remove(g, op.who.id);
      }
      case 'groupDelete': {
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.ownerId !== op.by.id) return refused('notOwner');
        const members = [...g.members.keys()];
        this.drop(g);
        return { ok: true, members, deleted: true };
      }
      case 'groupList': {
        const re = wildcardToRegExp(`#${op.pattern}`);
        const all: GroupInfoRow[] = [];
        for (const g of this.byName.values()) {
          if (!re.test(g.name)) continue;
          const member = g.members.has(op.accountId);
          const invited = g.invites.has(op.accountId);
          if (g.inviteOnly && !member && !invited) continue;
          all.push({ name: g.name, memberCount: g.members.size, inviteOnly: g.inviteOnly, member, invited, owner: g.ownerId === op.accountId });
        }
        all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return { total: all.length, groups: all.slice(op.offset, op.offset + op.limit) };
      }
      case 'groupMembers': {
        const g = this.byName.get(op.group);
        if (!g) return refused('noSuchGroup');
        if (g.inviteOnly && !g.members.has(op.accountId)) return refused('notMember');
        const all: MemberRow[] = [...g.members.keys()].map((id) => ({ name: this.host.account(id)!.name, accountId: id, owner: id === g.ownerId }));
        all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return { total: all.length, members: all.slice(op.offset, op.offset + op.limit) };
      }
      case 'groupInsert':
        return this.insert(op);
      case 'groupAck':
        return { acked: this.ack(op.accountId, op.ids) };
    }
  }

  /** Up to `max` group messages waiting for the account (ids above `after`), oldest first, and how many wait in all. */
  fetch(accountId: number, max: number, after = 0): { messages: StoredMessage[]; total: number } {
    const all: Array<{ g: Group; r: Row }> = [];
    for (const g of this.groupsOf(accountId)) {
      const m = g.members.get(accountId)!;
      for (const r of g.messages.values()) {
        if (r.seq > m.pos && r.id > after && r.senderId !== accountId && !m.ahead.has(r.seq)) all.push({ g, r });
      }
    }
    all.sort((a, b) => a.r.id - b.r.id);
    const messages = all.slice(0, max).map(({ g, r }): StoredMessage => {
      const sender = this.host.account(r.senderId);
      return {
        id: r.id,
        group: g.name,
        senderName: sender?.name ?? '',
        senderDeleted: sender?.deleted !== false,
        clientId: r.clientId,
        flags: r.flags,
        sentAt: r.sentAt,
        content: r.content,
      };
    });
    return { messages, total: all.length };
  }

  /** How many group messages wait for the account. */
  count(accountId: number): number {
    return this.fetch(accountId, 0).total;
  }

  /** The account is deleted: it leaves every group it is in (its invites go too). */
  leaveAll(accountId: number): GroupDeparture[] {
    const out: GroupDeparture[] = [];
    for (const g of [...this.byName.values()]) g.invites.delete(accountId);
    for (const g of [...this.groupsOf(accountId)].sort((a, b) => a.id - b.id)) out.push({ group: g.name, ...this.remove(g, accountId) });
    return out;
  }

  private groupsOf(accountId: number): Set<Group> {
    return this.byAccount.get(accountId) ?? new Set();
  }

  private addMember(g: Group, accountId: number): void {
    g.members.set(accountId, { accountId, joined: ++g.joins, pos: g.lastSeq, posBytes: g.totalBytes, ahead: new Set() });
    let set = this.byAccount.get(accountId);
    if (!set) this.byAccount.set(accountId, (set = new Set()));
    set.add(g);
  }

  /** Takes a member out: ownership passes on, the last member's leaving deletes the group. */
  private remove(g: Group, accountId: number): GroupChangeResult {
    g.members.delete(accountId);
    this.byAccount.get(accountId)?.delete(g);
    if (g.members.size === 0) {
      this.drop(g);
      return { ok: true, members: [], deleted: true };
    }
    let newOwner: Who | undefined;
    if (g.ownerId === accountId) {
      g.ownerId = successor(g.members.values())!.accountId;
      newOwner = { id: g.ownerId, name: this.host.account(g.ownerId)!.name };
    }
    this.collect(g);
    return { ok: true, members: [...g.members.keys()], ...(newOwner !== undefined ? { newOwner } : {}) };
  }

  private drop(g: Group): void {
    this.byName.delete(g.name);
    for (const id of g.members.keys()) this.byAccount.get(id)?.delete(g);
    for (const r of g.messages.values()) this.byMessage.delete(r.id);
  }

  private insert(op: GroupInsertOp): GroupInsertResult {
    const g = this.byName.get(op.group);
    if (!g) return { stored: false, refused: 'noSuchGroup' };
    const me = g.members.get(op.senderId);
    if (!me) return { stored: false, refused: 'notMember' };
    const key = `${op.senderId}:${op.clientId}`;
    const digest = contentDigest(Buffer.from(op.content, 'latin1'));
    if (op.clientId !== 0) {
      const prev = this.host.sends.get(key);
      if (prev && prev.sentAt >= op.dedupSince) {
        return prev.recipientId === -g.id && prev.digest === digest ? { stored: false, duplicateOf: prev.messageId } : { stored: false, reused: true };
      }
    }
    const floor = this.floor(g);
    if (g.lastSeq + 1 - floor.pos > op.maxQueue || g.totalBytes + op.content.length - floor.posBytes > op.maxQueueBytes) {
      return { stored: false, refused: 'full' };
    }
    const seq = ++g.lastSeq;
    g.totalBytes += op.content.length;
    g.messages.set(seq, { seq, id: op.id, senderId: op.senderId, clientId: op.clientId, flags: op.flags, sentAt: op.sentAt, content: op.content, cumBytes: g.totalBytes });
    this.byMessage.set(op.id, { g, seq });
    if (op.clientId !== 0) this.host.sends.set(key, { messageId: op.id, recipientId: -g.id, sentAt: op.sentAt, digest });
    // A sender with nothing left to read has its own message too.
    if (me.pos === seq - 1) {
      me.pos = seq;
      me.posBytes = g.totalBytes;
    }
    const recipients = [...g.members.keys()].filter((id) => id !== op.senderId);
    this.collect(g);
    return { stored: true, recipients };
  }

  private ack(accountId: number, ids: readonly number[]): GroupAcked[] {
    const acked: GroupAcked[] = [];
    const touched = new Set<Group>();
    for (const id of ids) {
      const at = this.byMessage.get(id);
      if (!at) continue;
      const m = at.g.members.get(accountId);
      const r = at.g.messages.get(at.seq)!;
      if (!m || at.seq <= m.pos || r.senderId === accountId || m.ahead.has(at.seq)) continue;
      m.ahead.add(at.seq);
      acked.push({ id, senderId: r.senderId });
      touched.add(at.g);
    }
    for (const g of touched) {
      const m = g.members.get(accountId)!;
      // The position moves over what is acknowledged and what the member sent, up to the first gap.
      for (let seq = m.pos + 1; seq <= g.lastSeq; seq++) {
        const r = g.messages.get(seq);
        if (!r || (!m.ahead.has(seq) && r.senderId !== accountId)) break;
        m.ahead.delete(seq);
        m.pos = seq;
        m.posBytes = r.cumBytes;
      }
      this.collect(g);
    }
    return acked;
  }

  /** The member furthest behind. */
  private floor(g: Group): { pos: number; posBytes: number } {
    let f: Membership | undefined;
    for (const m of g.members.values()) if (f === undefined || m.pos < f.pos) f = m;
    return f ?? { pos: g.lastSeq, posBytes: g.totalBytes };
  }

  /** Removes the messages every member has passed. */
  private collect(g: Group): void {
    const { pos } = this.floor(g);
    for (const [seq, r] of g.messages) {
      if (seq > pos) break;
      g.messages.delete(seq);
      this.byMessage.delete(r.id);
    }
  }
}
