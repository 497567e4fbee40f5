/**
 * What the generated docs (docs/PROTOCOL.md, chat.proto) say about the rules, taken from the code
 * that enforces them: each request's answers and errors, the numbers the hand-written prose and the
 * error table mention (defaults, limits), formatted once.
 */
import { ANY_REQUEST_ERRORS, BEFORE_LOGIN, REQUEST_NAMES } from '../src/protocol/answers.js';
import type { RequestName } from '../src/protocol/codec.js';
import { ErrorCode, type ErrorDocValues } from '../src/protocol/errors.js';
import { DEFAULT_MAX_BODY } from '../src/protocol/framing.js';
import {
  GROUP_RULE,
  MAX_WATCH,
  MessageFlags,
  password,
  PASSWORD_RULE,
  schema,
  username,
  USERNAME_CHARS,
  USERNAME_RULE,
  type MessageDef,
  type MessageName,
} from '../src/protocol/schema.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../src/protocol/defaults.js';
import { RECEIPT_REPLAY_MS } from '../src/server/accounts.js';
import { MAX_RECEIPTS, RECENT_UNWRITTEN } from '../src/server/delivery.js';
import { SERVICE_DEFAULTS } from '../src/server/serviceOptions.js';
import { GROUP_DEFAULTS } from '../src/server/groupLimits.js';
import { TRACKED_GROUP_MESSAGES } from '../src/server/groupReceipts.js';
import { DEFAULT_THROTTLE } from '../src/server/throttle.js';
import {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_ANSWER_BYTES_TOTAL,
  DEFAULT_MAX_SEND_QUEUE,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
} from '../src/server/transports/tcp.js';

const defs = schema as Record<MessageName, MessageDef>;

/** A duration as a person writes it, exactly: "250 ms", "1.5 s", "15 min", "1 h". */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms >= 60_000 * 5) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** A byte count: "4 MiB" when whole mebibytes, else the number of bytes. */
export function bytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n.toLocaleString('en')} bytes`;
}

/** "A, B and C". */
export function listText(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The Send.flags bits a client may set, in words. */
const SEND_FLAGS_TEXT = `UTF7 (${MessageFlags.UTF7}), RESEND (${MessageFlags.RESEND}) and ACTION (${MessageFlags.ACTION})`;

/** The values the error table's sentences mention (errors.ts ErrorDocValues). */
export const ERROR_DOC_VALUES: ErrorDocValues = {
  maxBody: DEFAULT_MAX_BODY,
  usernameRule: USERNAME_RULE,
  passwordRule: PASSWORD_RULE,
  sendFlags: SEND_FLAGS_TEXT,
  maxWatch: MAX_WATCH,
  dedupHours: SERVICE_DEFAULTS.dedupWindowMs / 3_600_000,
  authTimeout: duration(DEFAULT_CONNECTION_LIMITS.authTimeoutMs),
  groupRule: GROUP_RULE,
  groupMaxMembers: GROUP_DEFAULTS.maxMembers,
  groupsPerAccount: GROUP_DEFAULTS.maxGroupsPerAccount,
};

/** The requests allowed before login, in words ("Register, Login and Ping"). */
export const BEFORE_LOGIN_TEXT = listText(REQUEST_NAMES.filter((n) => BEFORE_LOGIN.has(n)));

/**
 * The values docs/protocol/semantics.md refers to as {{name}}: every number or list the prose
 * states that the code decides.
 */
export const PROSE_VALUES: Readonly<Record<string, string | number>> = {
  beforeLogin: BEFORE_LOGIN_TEXT,
  defaultAddress: `${DEFAULT_HOST}:${DEFAULT_PORT}`,
  maxBody: DEFAULT_MAX_BODY,
  maxInflight: DEFAULT_LIMITS.maxInflight,
  maxAnswerBytes: bytes(DEFAULT_LIMITS.maxAnswerBytes),
  maxSendQueue: bytes(DEFAULT_MAX_SEND_QUEUE),
  maxAnswerBytesTotal: bytes(DEFAULT_MAX_ANSWER_BYTES_TOTAL),
  tlsHandshakeTimeout: duration(DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS),
  frameTimeout: duration(DEFAULT_CONNECTION_LIMITS.frameTimeoutMs),
  recentUnwritten: RECENT_UNWRITTEN.toLocaleString('en'),
  maxFetch: SERVICE_DEFAULTS.maxFetch,
  maxListLimit: SERVICE_DEFAULTS.maxListLimit,
  maxWatch: MAX_WATCH,
  maxReceipts: MAX_RECEIPTS,
  authTimeout: duration(DEFAULT_CONNECTION_LIMITS.authTimeoutMs),
  keepAlive: duration(DEFAULT_CONNECTION_LIMITS.keepAliveMs),
  keepAliveDead: duration(3 * DEFAULT_CONNECTION_LIMITS.keepAliveMs),
  maxPerAddress: DEFAULT_CONNECTION_LIMITS.maxPerAddress,
  maxConnections: DEFAULT_CONNECTION_LIMITS.maxConnections.toLocaleString('en'),
  loginDelay: duration(DEFAULT_THROTTLE.loginDelayMs),
  loginMaxDelay: duration(DEFAULT_THROTTLE.loginMaxDelayMs),
  loginForget: duration(DEFAULT_THROTTLE.forgetAfterMs),
  receiptReplay: duration(RECEIPT_REPLAY_MS),
  knownFor: `${DEFAULT_THROTTLE.knownForMs / 86_400_000} days`,
  registerPerHour: DEFAULT_THROTTLE.registerPerWindow,
  mailboxMax: SERVICE_DEFAULTS.maxQueue.toLocaleString('en'),
  mailboxMaxBytes: bytes(SERVICE_DEFAULTS.maxQueueBytes),
  dedupHours: ERROR_DOC_VALUES.dedupHours,
  usernameRule: USERNAME_RULE,
  usernameChars: `[${USERNAME_CHARS}]`,
  usernameSize: username.size,
  passwordRule: PASSWORD_RULE,
  passwordSize: password.size,
  SENDER_DELETED: MessageFlags.SENDER_DELETED,
  UTF7: MessageFlags.UTF7,
  RESEND: MessageFlags.RESEND,
  ACTION: MessageFlags.ACTION,
  CLIENT_ID_REUSED: ErrorCode.CLIENT_ID_REUSED,
  groupRule: GROUP_RULE,
  groupMaxMembers: GROUP_DEFAULTS.maxMembers,
  groupsPerAccount: GROUP_DEFAULTS.maxGroupsPerAccount,
  groupReceipt: duration(GROUP_DEFAULTS.receiptMs),
  trackedGroupMessages: TRACKED_GROUP_MESSAGES.toLocaleString('en'),
};

/** Replaces every {{name}} in hand-written text with PROSE_VALUES[name]; an unknown name is an error. */
export function fillIn(text: string, source: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = PROSE_VALUES[name];
    if (v === undefined) throw new Error(`${source}: no value for {{${name}}} (add it to PROSE_VALUES in scripts/protocolFacts.ts)`);
    return String(v);
  });
}

/** "Answer: ... Needs a logged-in session." for a request, from its schema entry and the error table. */
export function answerText(name: RequestName): string {
  const def = defs[name];
  const own = def.errors ?? [];
  const errors = [...(own.length ? [own.join(', ')] : []), `as any request: ${ANY_REQUEST_ERRORS.join(', ')}`].join('; ');
  const login = def.beforeLogin ? 'Allowed before login.' : 'Needs a logged-in session.';
  return `Answer: ${listText(def.answers ?? []).replace(' and ', ' or ')}, or Error (${errors}). ${login}`;
}
