/**
 * The store operations of group conversations (the rules are in groups.ts; every store implements
 * these: memoryGroups.ts, sqliteGroups.ts, postgresGroups.ts). A group message is stored once, with
 * a per-group sequence number; each membership keeps a position: every message of the group up to
 * it is acknowledged by (or was sent by) that member. Acknowledgements that run ahead of the
 * position (a session acknowledged a later message before an earlier one reached it) are kept
 * apart until the gap closes. What waits for a member is the group's messages above its position
 * from other senders, less those: so storage grows with messages, not with messages × members.
 * A message every member has passed is removed.
 */
import { GroupChange } from '../../protocol/schema.js';

/** An account as a group operation names it: its id, and its name for the pushes the change makes. */
export interface Who {
  id: number;
  name: string;
}

/** How a group operation was refused (groups.ts turns it into an error code). */
export type GroupRefusal = 'noSuchGroup' | 'taken' | 'tooMany' | 'notInvited' | 'full' | 'notMember' | 'notOwner' | 'noSuchUser';

export interface Refused {
  refused: GroupRefusal;
}

/** Stores a message sent to a group (see InsertOp for the resend rules; the resend record's recipient is the group). */
export interface GroupInsertOp {
  op: 'groupInsert';
  id: number;
  group: string;
  senderId: number;
  /** The sender's name (a shared store wakes the other nodes with the whole message). */
  sender: string;
  clientId: number;
  flags: number;
  sentAt: number;
  /** The content (printable ASCII, no padding). */
  content: string;
  dedupSince: number;
  /** The group's backlog cap: most messages, and content bytes, its slowest member may have waiting. */
  maxQueue: number;
  maxQueueBytes: number;
}

/** The operations that change who is in a group (a store shared by nodes tells the others: groupEvents). */
export type GroupChangeOp =
  | { op: 'groupJoin'; group: string; who: Who; maxMembers: number; maxGroups: number }
  | { op: 'groupInvite'; group: string; by: Who; who: Who }
  | { op: 'groupLeave'; group: string; who: Who }
  | { op: 'groupKick'; group: string; by: Who; who: Who }
  | { op: 'groupDelete'; group: string; by: Who };

export type GroupOp =
  | { op: 'groupCreate'; group: string; owner: Who; inviteOnly: boolean; now: number; maxGroups: number }
  | GroupChangeOp
  /** Groups visible to the account whose name after its `#` GLOB-matches `pattern`, sorted by name, one page, and the total. */
  | { op: 'groupList'; pattern: string; accountId: number; offset: number; limit: number }
  /** A page of the group's members sorted by name (refused notMember for an invite-only group the account is not in). */
  | { op: 'groupMembers'; group: string; accountId: number; offset: number; limit: number }
  | GroupInsertOp
  /** Acknowledges, of these ids, the group messages waiting for the account. */
  | { op: 'groupAck'; accountId: number; ids: number[] };

export type GroupOpName = GroupOp['op'];

/** A change to a group's membership: who is to be told (its members after it, and anyone it removed), and what followed. */
export interface GroupChangeResult {
  ok: true;
  /** The group's members after the change (account ids). */
  members: number[];
  /** Ownership passed to this account (its owner left or was deleted). */
  newOwner?: Who;
  /** The group is gone (its last member left). */
  deleted?: true;
}

/** An account's deletion took it out of this group. */
export interface GroupDeparture extends GroupChangeResult {
  group: string;
}

export type GroupInsertResult =
  | {
      stored: true;
      /** The group's members other than the sender when it was stored (a shared store woke the nodes of those online elsewhere). */
      recipients: number[];
    }
  | { stored: false; duplicateOf: number }
  | { stored: false; reused: true }
  | ({ stored: false } & Refused);

export interface GroupInfoRow {
  name: string;
  memberCount: number;
  inviteOnly: boolean;
  member: boolean;
  invited: boolean;
  owner: boolean;
}

export interface MemberRow {
  name: string;
  accountId: number;
  owner: boolean;
}

/** A group message acknowledged by a member, and who sent it (for its sender's delivery count). */
export interface GroupAcked {
  id: number;
  senderId: number;
}

export interface GroupResultOf {
  groupCreate: { ok: true } | Refused;
  groupJoin: (GroupChangeResult & { joined: boolean }) | Refused;
  groupInvite: { ok: true; member: boolean } | Refused;
  groupLeave: GroupChangeResult | Refused;
  groupKick: GroupChangeResult | Refused;
  groupDelete: GroupChangeResult | Refused;
  groupList: { total: number; groups: GroupInfoRow[] };
  groupMembers: { total: number; members: MemberRow[] } | Refused;
  groupInsert: GroupInsertResult;
  groupAck: { acked: GroupAcked[] };
}

const NAMES: ReadonlySet<string> = new Set<GroupOpName>([
  'groupCreate',
  'groupJoin',
  'groupInvite',
  'groupLeave',
  'groupKick',
  'groupDelete',
  'groupList',
  'groupMembers',
  'groupInsert',
  'groupAck',
]);

/** Whether an operation is one of the group operations. */
export function isGroupOp(op: { op: string }): op is GroupOp {
  return NAMES.has(op.op);
}

/**
 * A fetch's page from both queues: the oldest `max` of the account's own messages and of the group
 * messages waiting for it, by id, and how many wait after them.
 */
export function mergePages<M extends { id: number }>(
  own: { messages: M[]; total: number },
  groups: { messages: M[]; total: number },
  max: number,
): { messages: M[]; remaining: number } {
  if (groups.total === 0) return { messages: own.messages, remaining: Math.max(0, own.total - own.messages.length) };
  const messages = [...own.messages, ...groups.messages].sort((a, b) => a.id - b.id).slice(0, max);
  return { messages, remaining: Math.max(0, own.total + groups.total - messages.length) };
}

/** The longest-standing of these memberships (the earliest `joined`), who takes over a group its owner left. */
export function successor<M extends { accountId: number; joined: number }>(members: Iterable<M>): M | undefined {
  let best: M | undefined;
  for (const m of members) if (best === undefined || m.joined < best.joined) best = m;
  return best;
}

/** A GroupChanged push to make: to the members `to` (account ids) that are online. */
export interface GroupEvent {
  group: string;
  change: number;
  name: string;
  by: string;
  to: number[];
}

/** The GroupChanged pushes a change makes (every store's node pushes them to its sessions; a shared store also tells the other nodes). */
export function groupEvents(op: GroupChangeOp, r: GroupResultOf[GroupChangeOp['op']]): GroupEvent[] {
  if ('refused' in r) return [];
  const ev = (change: number, name: string, by: string, to: number[]): GroupEvent => ({ group: op.group, change, name, by, to });
  switch (op.op) {
    case 'groupJoin':
      return 'joined' in r && r.joined ? [ev(GroupChange.JOINED, op.who.name, op.who.name, r.members)] : [];
    case 'groupInvite':
      return 'member' in r && !r.member ? [ev(GroupChange.INVITED, op.who.name, op.by.name, [op.who.id])] : [];
    case 'groupLeave':
      return departureEvents(op.who.name, { group: op.group, ...(r as GroupChangeResult) });
    case 'groupKick': {
      const c = r as GroupChangeResult;
      return [ev(GroupChange.KICKED, op.who.name, op.by.name, [...c.members, op.who.id])];
    }
    case 'groupDelete':
      return [ev(GroupChange.DELETED, '', op.by.name, (r as GroupChangeResult).members)];
  }
}

/** The pushes an account's leaving makes (LeaveGroup, or its deletion): LEFT, and OWNER if it owned the group. */
export function departureEvents(name: string, d: GroupDeparture): GroupEvent[] {
  if (d.deleted) return [];
  const out: GroupEvent[] = [{ group: d.group, change: GroupChange.LEFT, name, by: name, to: d.members }];
  if (d.newOwner) out.push({ group: d.group, change: GroupChange.OWNER, name: d.newOwner.name, by: name, to: d.members });
  return out;
}
