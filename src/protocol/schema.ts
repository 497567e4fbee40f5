/**
 * THE table of messages. A message is defined here and nowhere else: codec.ts compiles this table
 * into binary-parser decoders, encoders and TypeScript types, and docs/PROTOCOL.md is generated from it.
 *
 * Opcode ranges: 0x01-0x3F requests (client -> server), 0x40-0x7F responses (server -> client, same
 * request id as the request), 0x80-0xBF pushes (server -> client, request id 0).
 */
import type { ErrorCodeName } from './errors.js';
import { ascii, f64, list, struct, text, u16, u32, u8, type Fields } from './fields.js';

/** Usernames: Python struct `16s`. */
export const username = ascii(16);
/**
 * The characters a username may hold, as the body of a regular-expression character class. The one
 * place the alphabet is written: the server's rules, the TUI's completion and file names use it.
 */
export const USERNAME_CHARS = 'A-Za-z0-9_.-';
/** A whole valid username: 1 to `username.size` characters of USERNAME_CHARS. */
export const USERNAME_RE = new RegExp(`^[${USERNAME_CHARS}]{1,${username.size}}$`);
/** USERNAME_CHARS for people: "A-Z a-z 0-9 _ . -" (each range or character, space-separated). */
export const USERNAME_CHARS_TEXT = charClassText(USERNAME_CHARS);
/** The username rule in words, for error sentences and the docs: "1-16 characters of A-Z a-z 0-9 _ . -". */
export const USERNAME_RULE = `1-${username.size} characters of ${USERNAME_CHARS_TEXT}`;
/** Passwords: `64s`. */
export const password = ascii(64);
/** The password rule in words: the server accepts 1 to `password.size` printable ASCII characters. */
export const PASSWORD_RULE = `1-${password.size} printable ASCII characters`;
/** Message text: `512s`. A chat line: printable ASCII only, so nothing a sender writes can drive the recipient's terminal. */
export const content = text(512);
/** Wildcard pattern for ListAccounts (`*` any run, `?` one character): `32s`. */
export const pattern = ascii(32);
/** Human-readable error sentence: `128s`. */
export const errorText = ascii(128);

/** Most names one Watch may carry. */
export const MAX_WATCH = 256;

/**
 * Group names share the username field: `#` then 1 to `username.size - 1` username characters. No
 * username starts with `#`, so a Send's recipient names either an account or a group.
 */
export const group = username;
/** What starts every group name. */
export const GROUP_PREFIX = '#';
/** A whole valid group name. */
export const GROUP_RE = new RegExp(`^${GROUP_PREFIX}[${USERNAME_CHARS}]{1,${username.size - 1}}$`);
/** The group-name rule in words: "# and 1-15 characters of A-Z a-z 0-9 _ . -". */
export const GROUP_RULE = `${GROUP_PREFIX} and 1-${username.size - 1} characters of ${USERNAME_CHARS_TEXT}`;

/** One stored chat message, as delivered by a push or inside a MessageBatch. */
export const chatMessage = {
  /** Server-assigned, increasing; the same on every redelivery. */
  id: u32,
  sender: username,
  /** The sender's client message id (from its Send): a repeat of (sender, clientId) is the same message. */
  clientId: u32,
  /** MessageFlags: bit 0 the sender's account has since been deleted; bit 1 content is UTF-7; bit 3 an action (/me). */
  flags: u8,
  /** When the server accepted it, milliseconds since the Unix epoch. */
  sentAt: f64,
  content,
} as const;

/** A message sent to a group, as pushed to its members or inside a GroupMessageBatch: the group, then a chatMessage. */
export const groupMessage = { group, ...chatMessage } as const;

/** One group as ListGroups lists it. */
export const groupInfo = { group, memberCount: u16, access: u8 } as const;

/** One member as ListMembers lists it. */
export const memberInfo = { username, presence: u8, role: u8 } as const;

export type Direction = 'request' | 'response' | 'push';

export interface MessageDef {
  readonly op: number;
  readonly dir: Direction;
  /** One line for docs/PROTOCOL.md and chat.proto: what it does (the answers are listed from `answers` and `errors`). */
  readonly doc: string;
  readonly fields: Fields;
  /** What a field means in this message, where it differs from `fieldDocs` (by field name). */
  readonly fieldDocs?: Readonly<Record<string, string>>;
  /** Requests only: the responses that answer it when it succeeds. */
  readonly answers?: readonly string[];
  /** Requests only: allowed without a logged-in session (every other request then answers NOT_LOGGED_IN). */
  readonly beforeLogin?: boolean;
  /**
   * Requests only: every error code it can be answered, besides those any request can get
   * (errors.ts scope `any` and `frame`). A test fails when the server answers one not listed here.
   */
  readonly errors?: readonly ErrorCodeName[];
}

export const schema = {
  // Requests
  Register: {
    op: 0x01,
    dir: 'request',
    doc: 'Create an account (the session stays as it was: logged in or not).',
    fields: { username, password },
    answers: ['Ok'],
    beforeLogin: true,
    errors: ['INVALID_USERNAME', 'INVALID_PASSWORD', 'USERNAME_TAKEN', 'RATE_LIMITED', 'DISK_FULL', 'UNAVAILABLE'],
  },
  Login: {
    op: 0x02,
    dir: 'request',
    doc: 'Log in (also when already logged in: it logs in again). Takes over a live session of the same account.',
    fields: { username, password },
    answers: ['LoginOk'],
    beforeLogin: true,
    // NOT_LOGGED_IN: over gRPC, when the session the call ran on ended meanwhile.
    errors: ['BAD_CREDENTIALS', 'NOT_LOGGED_IN', 'DISK_FULL', 'UNAVAILABLE'],
  },
  Logout: {
    op: 0x03,
    dir: 'request',
    doc: 'End the session; the connection stays open.',
    fields: {},
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN'],
  },
  ListAccounts: {
    op: 0x04,
    dir: 'request',
    doc: 'List accounts matching a wildcard (case-sensitive; empty matches all), sorted by name, one page of at most `limit` (0 = the page cap).',
    fields: { pattern, offset: u32, limit: u16 },
    answers: ['AccountList'],
    errors: ['NOT_LOGGED_IN', 'INVALID_PATTERN', 'UNAVAILABLE'],
  },
  Send: {
    op: 0x05,
    dir: 'request',
    doc: 'Send a message (`content` not empty; `flags` only UTF7, RESEND and ACTION) to an account, or to a group you are a member of (`recipient` `#name`). Accepted once it is stored durably (or delivered and acknowledged).',
    fields: { recipient: username, clientId: u32, flags: u8, content },
    answers: ['Accepted'],
    errors: ['NOT_LOGGED_IN', 'INVALID_ARGUMENT', 'NO_SUCH_USER', 'CLIENT_ID_REUSED', 'MAILBOX_FULL', 'DISK_FULL', 'UNAVAILABLE', 'NO_SUCH_GROUP', 'NOT_A_MEMBER'],
  },
  FetchUndelivered: {
    op: 0x06,
    dir: 'request',
    doc: 'Fetch up to `max` waiting messages (0 = the page cap), oldest first. They stay queued until acknowledged.',
    fields: { max: u16 },
    answers: ['MessageBatch', 'GroupMessageBatch'],
    errors: ['NOT_LOGGED_IN', 'UNAVAILABLE'],
  },
  Ack: {
    op: 0x07,
    dir: 'request',
    doc: 'Acknowledge every message delivered to this session (pushed or fetched) with id <= upTo (cumulative); they leave the queue, other ids are left alone. Ok once they are gone durably.',
    fields: { upTo: u32 },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'DISK_FULL', 'UNAVAILABLE'],
  },
  DeleteAccount: {
    op: 0x08,
    dir: 'request',
    doc: 'Delete your account; the session is then logged out, the connection stays. ConfirmDelete (nothing deleted) when messages wait and `confirm` is 0.',
    fields: { password, confirm: u8 },
    answers: ['Ok', 'ConfirmDelete'],
    errors: ['NOT_LOGGED_IN', 'BAD_CREDENTIALS', 'DISK_FULL', 'UNAVAILABLE'],
  },
  Ping: {
    op: 0x09,
    dir: 'request',
    doc: 'Liveness check.',
    fields: {},
    answers: ['Pong'],
    beforeLogin: true,
    errors: [],
  },
  Watch: {
    op: 0x0a,
    dir: 'request',
    doc: `Replace this session's watch set with \`names\` (at most ${MAX_WATCH}; empty stops watching). Then PresenceChanged pushes.`,
    fields: { names: list(username) },
    answers: ['Presence'],
    errors: ['NOT_LOGGED_IN', 'INVALID_ARGUMENT', 'UNAVAILABLE'],
  },
  CreateGroup: {
    op: 0x0b,
    dir: 'request',
    doc: 'Create a group (`inviteOnly` 0: anyone may join; 1: only those a member invited). You own it and are its first member.',
    fields: { group, inviteOnly: u8 },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'INVALID_ARGUMENT', 'GROUP_TAKEN', 'TOO_MANY_GROUPS', 'DISK_FULL', 'UNAVAILABLE'],
  },
  JoinGroup: {
    op: 0x0c,
    dir: 'request',
    doc: 'Join a group: a public one, or an invite-only one you were invited to. You get its messages sent from then on. Ok also when you are a member already.',
    fields: { group },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'NO_SUCH_GROUP', 'NOT_INVITED', 'GROUP_FULL', 'TOO_MANY_GROUPS', 'DISK_FULL', 'UNAVAILABLE'],
  },
  InviteToGroup: {
    op: 0x0d,
    dir: 'request',
    doc: 'Invite an account to a group you are a member of: it may then join (an invite-only group too) and is pushed GroupChanged INVITED if online. Ok also when it is a member already.',
    fields: { group, username },
    fieldDocs: { username: 'the account to invite' },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'NO_SUCH_GROUP', 'NOT_A_MEMBER', 'NO_SUCH_USER', 'DISK_FULL', 'UNAVAILABLE'],
  },
  LeaveGroup: {
    op: 0x0e,
    dir: 'request',
    doc: "Leave a group; nothing more of it reaches you, and what waited for you from it is dropped. An owner's leaving passes the group to its longest-standing member; the last member's deletes it.",
    fields: { group },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'NO_SUCH_GROUP', 'NOT_A_MEMBER', 'DISK_FULL', 'UNAVAILABLE'],
  },
  KickFromGroup: {
    op: 0x0f,
    dir: 'request',
    doc: 'Owner only: remove a member (and its invite) from the group at once. It may join again only if the group is public or it is invited again.',
    fields: { group, username },
    fieldDocs: { username: 'the member to remove' },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'INVALID_ARGUMENT', 'NO_SUCH_GROUP', 'NOT_OWNER', 'NOT_A_MEMBER', 'NO_SUCH_USER', 'DISK_FULL', 'UNAVAILABLE'],
  },
  DeleteGroup: {
    op: 0x10,
    dir: 'request',
    doc: 'Owner only: delete the group, its members, invites and the messages that wait in it. The name is free again.',
    fields: { group },
    answers: ['Ok'],
    errors: ['NOT_LOGGED_IN', 'NO_SUCH_GROUP', 'NOT_OWNER', 'DISK_FULL', 'UNAVAILABLE'],
  },
  ListGroups: {
    op: 0x11,
    dir: 'request',
    doc: 'List the groups you can see (public ones, and invite-only ones you are a member of or invited to) whose name after the `#` matches a wildcard (as ListAccounts; a leading `#` is ignored), sorted by name, one page of at most `limit` (0 = the page cap).',
    fields: { pattern, offset: u32, limit: u16 },
    fieldDocs: { offset: 'how many matching groups (in sorted order) to skip' },
    answers: ['GroupList'],
    errors: ['NOT_LOGGED_IN', 'INVALID_PATTERN', 'UNAVAILABLE'],
  },
  ListMembers: {
    op: 0x12,
    dir: 'request',
    doc: "A group's members, sorted by name, one page of at most `limit` (0 = the page cap), each with its presence and role. Anyone may list a public group's; an invite-only group's, its members only.",
    fields: { group, offset: u32, limit: u16 },
    fieldDocs: { offset: 'how many members (in sorted order) to skip' },
    answers: ['MemberList'],
    errors: ['NOT_LOGGED_IN', 'NO_SUCH_GROUP', 'NOT_A_MEMBER', 'UNAVAILABLE'],
  },

  // Responses
  Ok: { op: 0x40, dir: 'response', doc: 'The request succeeded.', fields: {} },
  Error: {
    op: 0x41,
    dir: 'response',
    doc: 'The request failed: a stable code (see Error codes) and a sentence for the user.',
    fields: { code: u16, text: errorText },
  },
  LoginOk: {
    op: 0x42,
    dir: 'response',
    doc: 'Logged in; `undelivered` messages are waiting to be fetched.',
    fields: { undelivered: u32 },
  },
  AccountList: {
    op: 0x43,
    dir: 'response',
    doc: '`total` accounts match the pattern; `names` is the requested page of them.',
    fields: { total: u32, names: list(username) },
  },
  Accepted: {
    op: 0x44,
    dir: 'response',
    doc: 'The message is stored durably (or was delivered and acknowledged already) under `messageId`.',
    fields: { messageId: u32 },
  },
  MessageBatch: {
    op: 0x45,
    dir: 'response',
    doc: 'Waiting messages, oldest first; `remaining` more wait after these.',
    fields: { remaining: u32, messages: list(struct(chatMessage)) },
  },
  Pong: { op: 0x46, dir: 'response', doc: 'Answer to Ping.', fields: {} },
  ConfirmDelete: {
    op: 0x47,
    dir: 'response',
    doc: 'Nothing was deleted: `waiting` messages would be discarded. Repeat DeleteAccount with `confirm` non-zero (1).',
    fields: { waiting: u32 },
  },
  Presence: {
    op: 0x48,
    dir: 'response',
    doc: 'Answer to Watch: the watched names that have a live session now (`online`).',
    fields: { online: list(username) },
  },
  GroupList: {
    op: 0x49,
    dir: 'response',
    doc: '`total` groups you can see match the pattern; `groups` is the requested page of them.',
    fields: { total: u32, groups: list(struct(groupInfo)) },
  },
  MemberList: {
    op: 0x4a,
    dir: 'response',
    doc: 'The group has `total` members; `members` is the requested page of them.',
    fields: { total: u32, members: list(struct(memberInfo)) },
  },
  GroupMessageBatch: {
    op: 0x4b,
    dir: 'response',
    doc: "FetchUndelivered's answer instead of MessageBatch when the page holds a message sent to a group: the same, each message with its `group` ('' for one sent to you alone). Oldest first; `remaining` more wait after these.",
    fields: { remaining: u32, messages: list(struct(groupMessage)) },
  },

  // Pushes (request id 0)
  Message: {
    op: 0x80,
    dir: 'push',
    doc: 'A message for you, pushed at once (possibly before its Accepted reaches the sender). Acknowledge it with Ack.',
    fields: chatMessage,
  },
  LoggedInElsewhere: {
    op: 0x81,
    dir: 'push',
    doc: 'Another connection logged in to your account; this session is logged out.',
    fields: {},
  },
  ServerClosing: {
    op: 0x82,
    dir: 'push',
    doc: 'The server is shutting down; the connection will close.',
    fields: {},
  },
  Delivered: {
    op: 0x83,
    dir: 'push',
    doc: "Delivery receipt: the recipients' clients acknowledged these messages you sent (`ids`: their Accepted.messageId). Pushed at once, or after your next Login if you were offline (at most once).",
    fields: { ids: list(u32) },
  },
  PresenceChanged: {
    op: 0x84,
    dir: 'push',
    doc: 'A watched account got its first live session (`online` 1) or lost its last (`online` 0).',
    fields: { name: username, online: u8 },
    fieldDocs: { online: '1: the account has a live session now; 0: it has none any more' },
  },
  KeepAlive: {
    op: 0x85,
    dir: 'push',
    doc: 'The server has heard nothing from this connection for a while: answer with any request (a Ping) or be closed as a dead peer.',
    fields: {},
  },
  GroupMessage: {
    op: 0x86,
    dir: 'push',
    doc: 'A message sent to a group you are a member of, pushed once it is stored (never to its sender). Acknowledge it with Ack, as a Message.',
    fields: groupMessage,
  },
  GroupDelivered: {
    op: 0x87,
    dir: 'push',
    doc: "Delivery state of a message you sent to a group (`id`: its Accepted.messageId): `delivered` of the `recipients` it was stored for (the group's other members then) have acknowledged it. Pushed while the count grows, at most once per message per --group-receipt-ms, the last when it reaches `recipients`.",
    fields: { group, id: u32, delivered: u16, recipients: u16 },
  },
  GroupChanged: {
    op: 0x88,
    dir: 'push',
    doc: 'Something happened to a group you are (or were, until this) a member of, or were invited to: `change` says what, about the account `name`, done by `by`.',
    fields: { group, change: u8, name: username, by: username },
  },
} as const satisfies Record<string, MessageDef>;

export type Schema = typeof schema;
export type MessageName = keyof Schema;

/**
 * What a field means, by field name (the same name means the same thing in every message), for
 * docs/PROTOCOL.md and chat.proto. Widths and types come from the fields themselves.
 */
export const fieldDocs: Readonly<Record<string, string>> = {
  id: 'server-assigned message id: unique, increasing, the same on every redelivery',
  clientId: "the sender's id for this message: non-zero makes a resend idempotent (same sender, clientId, recipient and content = the same message); 0 is never de-duplicated",
  flags: 'bit 0 (1) SENDER_DELETED, set by the server; bit 1 (2) UTF7, set by the sender; bit 2 (4) RESEND, Send only (this Send repeats one whose answer was lost; never stored); bit 3 (8) ACTION, set by the sender (the content is an action, shown `* alice waves` like IRC /me); the other bits are reserved and must be 0',
  sentAt: 'when the server accepted the message, in milliseconds since the Unix epoch (whole milliseconds)',
  max: "0 means the server's page cap",
  limit: "0, or more than the server's page cap, means the cap",
  offset: 'how many matching names (in sorted order) to skip',
  upTo: 'cumulative: every message delivered to this session with an id up to this one',
  confirm: '0: ask first (ConfirmDelete when messages wait); any other value (1 by convention): delete even though messages wait',
  code: 'an error code (see Error codes)',
  ids: "message ids of messages you sent (each an Accepted.messageId), acknowledged by their recipient's client",
  online: 'the watched names that have a live session now, in the order they were given',
  group: "a group's name: `#` and 1-15 username characters",
  inviteOnly: '0: a public group, anyone may join; any other value (1 by convention): only accounts a member invited may join',
  memberCount: 'how many members the group has',
  access: 'bit 0 (1) INVITE_ONLY: only invited accounts may join; bit 1 (2) MEMBER: you are a member; bit 2 (4) INVITED: you are invited; bit 3 (8) OWNER: you own it',
  presence: '1: the member has a live session now; 0: it has none',
  role: '1: the owner; 0: a member',
  delivered: 'how many of `recipients` have acknowledged the message',
  recipients: 'how many members other than the sender the group had when it stored the message',
  change: '1 JOINED: `name` joined; 2 LEFT: `name` left (or its account was deleted); 3 KICKED: the owner `by` removed `name`; 4 DELETED: the owner `by` deleted the group; 5 OWNER: `name` owns the group now (its owner `by` left); 6 INVITED: `by` invited you (`name`)',
  by: 'the account that made the change (for JOINED and LEFT, `name` itself)',
};

/** Flag bits of chatMessage.flags and Send.flags (UTF7 and ACTION in both; RESEND in Send only). */
export const MessageFlags = {
  /** Set by the server: the sender's account has since been deleted. */
  SENDER_DELETED: 1,
  /** Set by the sender: `content` is UTF-7 (RFC 2152) text, to be decoded for display. */
  UTF7: 2,
  /**
   * Send only, never stored: the sender sends this message again because it did not get the answer
   * to an earlier Send with the same clientId. The server pushes it only if it turns out not to be a
   * repeat, so the recipient does not see it twice.
   */
  RESEND: 4,
  /**
   * Set by the sender, stored and delivered with the message: the content is an action, which a
   * client shows after the sender's name (`* alice waves`), as IRC's /me does.
   */
  ACTION: 8,
} as const;
/** The Send.flags bits a client may set; the others are reserved (must be 0). */
export const SEND_FLAGS = MessageFlags.UTF7 | MessageFlags.RESEND | MessageFlags.ACTION;

/** Bits of groupInfo.access (ListGroups). */
export const GroupAccess = {
  INVITE_ONLY: 1,
  /** You are a member. */
  MEMBER: 2,
  /** You are invited (and not a member yet). */
  INVITED: 4,
  /** You own the group. */
  OWNER: 8,
} as const;

/** Values of GroupChanged.change. */
export const GroupChange = {
  JOINED: 1,
  LEFT: 2,
  KICKED: 3,
  DELETED: 4,
  OWNER: 5,
  INVITED: 6,
} as const;
export type GroupChangeName = keyof typeof GroupChange;

/** The body of a character class ("A-Za-z_.-") as its ranges and characters, space-separated ("A-Z a-z _ . -"). */
function charClassText(cls: string): string {
  const out: string[] = [];
  for (let i = 0; i < cls.length; i++) {
    if (cls[i + 1] === '-' && i + 2 < cls.length) {
      out.push(cls.slice(i, i + 3));
      i += 2;
    } else out.push(cls[i]!);
  }
  return out.join(' ');
}
