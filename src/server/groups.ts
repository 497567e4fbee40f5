/**
 * Group conversations: create, join, invite, leave, kick, delete, list groups and members, and the
 * GroupChanged pushes. The store holds every rule that needs the data (groupOps.ts: names taken,
 * membership, ownership, limits) and answers in one operation; this module checks the request's
 * shape, turns a refusal into an error and tells the members online here (with a shared store the
 * other nodes are told by the store, in the same transaction). Messages sent to groups are in
 * groupMessages.ts, "delivered to k of n" in groupReceipts.ts.
 */
import type { Response } from '../protocol/codec.js';
import { GROUP_PREFIX, GROUP_RE, GROUP_RULE, GroupAccess } from '../protocol/schema.js';
import { resolveGroupLimits, type GroupLimits } from './groupLimits.js';
import { GroupMessages, type AckPart } from './groupMessages.js';
import { GroupReceipts } from './groupReceipts.js';
import { normalizePattern, PATTERN_RULE } from './rules.js';
import { accountOf, errorResponse, ServiceError, storageError, type Core, type Reply, type SendRequest, type Session } from './session.js';
import {
  departureEvents,
  groupEvents,
  type GroupChangeOp,
  type GroupDeparture,
  type GroupEvent,
  type GroupInfoRow,
  type GroupOp,
  type GroupRefusal,
  type GroupResultOf,
  type MemberRow,
  type Refused,
  type Who,
} from './store/groupOps.js';
import type { Account, NodeEvent } from './store/store.js';

/** What another node reports about groups (their messages are pushed through NodeEvents, in order behind a catch-up). */
type GroupNodeEvent = Extract<NodeEvent, { type: 'groupAcks' | 'groupChanged' }>;

export class Groups {
  readonly limits: GroupLimits;
  private readonly receipts: GroupReceipts;
  private readonly messages: GroupMessages;

  constructor(
    private readonly core: Core,
    limits: Partial<GroupLimits> = {},
  ) {
    this.limits = resolveGroupLimits(limits);
    this.receipts = new GroupReceipts(core, this.limits.receiptMs);
    this.messages = new GroupMessages(core, this.receipts);
  }

  /** Send to `#name` (see groupMessages.ts). */
  send(s: Session, req: SendRequest, reply: Reply, body: Buffer | undefined): void {
    this.messages.send(s, req, reply, body);
  }

  /** An Ack's group part (see GroupMessages.ack): takes the group messages out of `ids`. */
  ack(s: Session, me: number, ids: number[]): AckPart | undefined {
    return this.messages.ack(s, me, ids);
  }

  create(s: Session, group: string, inviteOnly: boolean, reply: Reply): void {
    const me = this.who(s);
    if (!GROUP_RE.test(group)) throw new ServiceError('INVALID_ARGUMENT', `a group name is ${GROUP_RULE}`);
    this.run({ op: 'groupCreate', group, owner: me, inviteOnly, now: Date.now(), maxGroups: this.limits.maxGroupsPerAccount }, reply, () =>
      reply({ type: 'Ok' }),
    );
  }

  join(s: Session, group: string, reply: Reply): void {
    const me = this.who(s);
    this.named(group);
    this.change({ op: 'groupJoin', group, who: me, maxMembers: this.limits.maxMembers, maxGroups: this.limits.maxGroupsPerAccount }, reply);
  }

  invite(s: Session, group: string, name: string, reply: Reply): void {
    const me = this.who(s);
    this.named(group);
    this.target(name, (who) => this.change({ op: 'groupInvite', group, by: me, who }, reply), reply);
  }

  leave(s: Session, group: string, reply: Reply): void {
    const me = this.who(s);
    this.named(group);
    this.change({ op: 'groupLeave', group, who: me }, reply);
  }

  kick(s: Session, group: string, name: string, reply: Reply): void {
    const me = this.who(s);
    this.named(group);
    if (name === me.name) throw new ServiceError('INVALID_ARGUMENT', 'you cannot kick yourself: leave the group instead');
    this.target(name, (who) => this.change({ op: 'groupKick', group, by: me, who }, reply), reply);
  }

  remove(s: Session, group: string, reply: Reply): void {
    const me = this.who(s);
    this.named(group);
    this.change({ op: 'groupDelete', group, by: me }, reply);
  }

  /** ListGroups: one sorted page of the groups the session can see, with the total. */
  list(s: Session, pattern: string, offset: number, limit: number, reply: Reply): void {
    const me = accountOf(s);
    const glob = normalizePattern(pattern.startsWith(GROUP_PREFIX) ? pattern.slice(GROUP_PREFIX.length) : pattern);
    if (glob === undefined) throw new ServiceError('INVALID_PATTERN', PATTERN_RULE);
    this.run({ op: 'groupList', pattern: glob, accountId: me, offset, limit: this.page(limit) }, reply, (v) =>
      reply({ type: 'GroupList', total: v.total, groups: v.groups.map((g) => ({ group: g.name, memberCount: g.memberCount, access: access(g) })) }),
    );
  }

  /** ListMembers: one page of a group's members sorted by name, each with its presence and role. */
  members(s: Session, group: string, offset: number, limit: number, reply: Reply): void {
    const me = accountOf(s);
    this.named(group);
    this.run({ op: 'groupMembers', group, accountId: me, offset, limit: this.page(limit) }, reply, (v) => this.presenceOf(v, reply));
  }

  /** An account was deleted and left these groups: their members here are told (other nodes were told by the store). */
  departed(name: string, groups: readonly GroupDeparture[]): void {
    for (const d of groups) this.tell(departureEvents(name, d));
  }

  /** What another node reports about groups. */
  nodeEvent(e: GroupNodeEvent): void {
    switch (e.type) {
      case 'groupAcks':
        this.receipts.acked(e.ids);
        return;
      case 'groupChanged':
        this.tell([{ group: e.group, change: e.change, name: e.name, by: e.by, to: e.members }]);
        return;
    }
  }

  /** At shutdown: no more GroupDelivered pushes. */
  stop(): void {
    this.receipts.flush();
    this.receipts.stop();
  }

  private who(s: Session): Who {
    return { id: accountOf(s), name: s.username! };
  }

  /** A name that cannot be a group's names none. */
  private named(group: string): void {
    if (!GROUP_RE.test(group)) throw new ServiceError('NO_SUCH_GROUP', `no group named ${group}`);
  }

  private page(limit: number): number {
    const max = this.core.limits.maxListLimit;
    return limit === 0 || limit > max ? max : limit;
  }

  /** The live account a request names (a shared store asks the database about one this node has not heard of). */
  private target(name: string, go: (who: Who) => void, reply: Reply): void {
    const { directory, shared, queue } = this.core;
    const id = directory.get(name);
    if (id !== undefined) {
      go({ id, name });
      return;
    }
    if (shared === undefined) throw new ServiceError('NO_SUCH_USER', `no user named ${name}`);
    queue.run<Account | undefined>({ op: 'findAccount', name }).then(
      (a) => {
        if (a === undefined) {
          reply(errorResponse('NO_SUCH_USER', `no user named ${name}`));
          return;
        }
        directory.set(a.name, a.id);
        go({ id: a.id, name: a.name });
      },
      (err: unknown) => reply(storageError((err as Error).message)),
    );
  }

  /** A membership change: answered Ok, and the members it concerns told. */
  private change(op: GroupChangeOp, reply: Reply): void {
    this.run(op, reply, (v) => {
      this.tell(groupEvents(op, v as never));
      reply({ type: 'Ok' });
    });
  }

  /** Runs one group operation: a refusal or a failure is answered here, anything else by `done`. */
  private run<O extends GroupOp>(op: O, reply: Reply, done: (v: Exclude<GroupResultOf[O['op']], Refused>) => void): void {
    this.core.queue.add(op, (r) => {
      if (!r.ok) {
        this.core.log.error({ err: r.error, op: op.op }, 'group operation failed');
        reply(storageError(r.error));
        return;
      }
      const v = r.value as GroupResultOf[O['op']];
      if (typeof v === 'object' && v !== null && 'refused' in v) {
        reply(this.refusal(op, v.refused));
        return;
      }
      done(v as Exclude<GroupResultOf[O['op']], Refused>);
    });
  }

  private refusal(op: GroupOp, why: GroupRefusal): Response {
    const group = 'group' in op ? op.group : '';
    switch (why) {
      case 'noSuchGroup':
        return errorResponse('NO_SUCH_GROUP', `no group named ${group}`);
      case 'taken':
        return errorResponse('GROUP_TAKEN', `${group} exists already`);
      case 'tooMany':
        return errorResponse('TOO_MANY_GROUPS', `you are a member of ${this.limits.maxGroupsPerAccount} groups, the most allowed`);
      case 'notInvited':
        return errorResponse('NOT_INVITED', `${group} is invite-only and nobody invited you`);
      case 'full':
        return errorResponse('GROUP_FULL', `${group} has ${this.limits.maxMembers} members, the most allowed`);
      case 'notMember':
        return errorResponse('NOT_A_MEMBER', op.op === 'groupKick' ? `${op.who.name} is not a member of ${group}` : `you are not a member of ${group}`);
      case 'notOwner':
        return errorResponse('NOT_OWNER', `only the owner of ${group} may do that`);
      case 'noSuchUser':
        return errorResponse('NO_SUCH_USER', `no user named ${'who' in op ? op.who.name : ''}`);
    }
  }

  /** Answers a MemberList with each member's presence (with a shared store, as the database knows it). */
  private presenceOf(v: { total: number; members: MemberRow[] }, reply: Reply): void {
    const answer = (online: (m: MemberRow) => boolean): void =>
      reply({ type: 'MemberList', total: v.total, members: v.members.map((m) => ({ username: m.name, presence: online(m) ? 1 : 0, role: m.owner ? 1 : 0 })) });
    const { shared, online, queue } = this.core;
    if (shared === undefined || v.members.length === 0) {
      answer((m) => online.has(m.accountId));
      return;
    }
    queue.add({ op: 'online', names: v.members.map((m) => m.name) }, (r) => {
      if (!r.ok) {
        reply(storageError(r.error));
        return;
      }
      const on = new Set(r.value as string[]);
      answer((m) => on.has(m.name));
    });
  }

  /** Pushes GroupChanged to the members of these events online here. */
  private tell(events: readonly GroupEvent[]): void {
    for (const e of events) {
      for (const id of e.to) {
        this.core.online.get(id)?.sink.push({ type: 'GroupChanged', group: e.group, change: e.change, name: e.name, by: e.by });
      }
    }
  }
}

/** groupInfo.access of a listed group. */
function access(g: GroupInfoRow): number {
  return (
    (g.inviteOnly ? GroupAccess.INVITE_ONLY : 0) |
    (g.member ? GroupAccess.MEMBER : 0) |
    (g.invited && !g.member ? GroupAccess.INVITED : 0) |
    (g.owner ? GroupAccess.OWNER : 0)
  );
}
