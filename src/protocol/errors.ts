/**
 * Errors: THE table of error codes (ERRORS: number, who gets it, when, its gRPC status), and the
 * error classes both ends throw (ProtocolError for a frame or field, ServerError for an Error answer).
 */

/**
 * Who can be answered an error code:
 * - `frame`: a frame the server cannot take as a request (it carries that frame's request id; the
 *   connection stays usable), so any request frame can get it;
 * - `connection`: sent with request id 0, not as an answer, and then the connection is closed;
 * - `any`: any request;
 * - `request`: the requests whose schema entry lists it (schema.ts `errors`);
 * - `stream`: gRPC only, ends a Subscribe stream;
 * - `reserved`: never sent by this server.
 */
export type ErrorScope = 'frame' | 'connection' | 'any' | 'request' | 'stream' | 'reserved';

/** The gRPC status codes by name (as @grpc/grpc-js's `status` enum spells them). */
export type GrpcStatusName =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/**
 * Numbers the sentences below mention. They are enforced elsewhere (the schema, the server), so the
 * doc generator supplies them: this module states none of them a second time.
 */
export interface ErrorDocValues {
  /** The largest frame body, in bytes. */
  maxBody: number;
  /** What a valid username is, in words ("1-16 characters of ..."). */
  usernameRule: string;
  /** What a valid password is, in words. */
  passwordRule: string;
  /** The Send.flags bits a client may set, in words. */
  sendFlags: string;
  maxWatch: number;
  /** How long a clientId is remembered, in hours. */
  dedupHours: number;
  /** The default unauthenticated timeout, in words ("10 s"). */
  authTimeout: string;
  /** The group rule in words ("# and 1-15 characters of ..."). */
  groupRule: string;
  /** Default most members per group, and groups per account. */
  groupMaxMembers: number;
  groupsPerAccount: number;
}

export interface ErrorDef {
  /** On the wire (Error.code): never renumber, only add. */
  readonly code: number;
  readonly scope: ErrorScope;
  /** When it is answered, for docs/PROTOCOL.md (a function when it mentions a number). */
  readonly when: string | ((v: ErrorDocValues) => string);
  /** The status the gRPC transport answers it with. */
  readonly grpc: GrpcStatusName;
}

/**
 * THE table of error codes: a new code is one entry here (the doc generator, chat.proto and the gRPC
 * transport read it; a request that can answer it lists it in its schema entry).
 */
export const ERRORS = {
  // Protocol: the frame itself is wrong.
  UNKNOWN_OPCODE: { code: 1, scope: 'frame', grpc: 'UNIMPLEMENTED', when: 'a frame whose opcode the server does not know' },
  BAD_SIZE: {
    code: 2,
    scope: 'frame',
    grpc: 'INVALID_ARGUMENT',
    when: "a body longer than its message's size (for a message with a list: longer than the fixed part plus `count` items)",
  },
  BAD_FIELD: {
    code: 3,
    scope: 'frame',
    grpc: 'INVALID_ARGUMENT',
    when: 'a string field with a byte over 0x7F or a non-NUL byte after its padding began; `content` with a control byte (below 0x20, or 0x7F); over gRPC also a value longer than its field or a number out of its range',
  },
  FRAME_TOO_LARGE: {
    code: 4,
    scope: 'connection',
    grpc: 'RESOURCE_EXHAUSTED',
    when: (v) => `a declared body length over ${v.maxBody} bytes; request id 0, then the connection is closed`,
  },
  TRUNCATED: {
    code: 5,
    scope: 'frame',
    grpc: 'INVALID_ARGUMENT',
    when: "a body shorter than its message's size (for a message with a list: shorter than the fixed part, or than the fixed part plus `count` items)",
  },
  UNEXPECTED_MESSAGE: {
    code: 6,
    scope: 'frame',
    grpc: 'UNIMPLEMENTED',
    when: 'a response or push sent to the server, once its size and fields passed their checks (which come first: see Errors in frames)',
  },
  // Session and account rules.
  NOT_LOGGED_IN: {
    code: 10,
    scope: 'request',
    grpc: 'UNAUTHENTICATED',
    when: 'a request that needs a logged-in session, without one (over gRPC: without a live session token, or when the session ended while the call ran)',
  },
  ALREADY_LOGGED_IN: { code: 11, scope: 'reserved', grpc: 'FAILED_PRECONDITION', when: 'reserved; not sent by this server (a second Login logs in again)' },
  // Not UNAUTHENTICATED over gRPC: that means "no valid session token" (log in again), while these
  // credentials were checked and refused (a DeleteAccount with a wrong password must not look like an ended session).
  BAD_CREDENTIALS: {
    code: 12,
    scope: 'request',
    grpc: 'PERMISSION_DENIED',
    when: 'Login with an unknown name or a wrong password (a throttled Login too, only later); DeleteAccount with a wrong password',
  },
  USERNAME_TAKEN: { code: 13, scope: 'request', grpc: 'ALREADY_EXISTS', when: 'Register with the name of a live account' },
  INVALID_USERNAME: { code: 14, scope: 'request', grpc: 'INVALID_ARGUMENT', when: (v) => `Register with a name that is not ${v.usernameRule}` },
  INVALID_PASSWORD: { code: 15, scope: 'request', grpc: 'INVALID_ARGUMENT', when: (v) => `Register with a password that is not ${v.passwordRule}` },
  NO_SUCH_USER: { code: 16, scope: 'request', grpc: 'NOT_FOUND', when: 'Send, InviteToGroup or KickFromGroup naming a name with no live account' },
  INVALID_PATTERN: {
    code: 17,
    scope: 'request',
    grpc: 'INVALID_ARGUMENT',
    when: 'ListAccounts or ListGroups with a character other than username characters, `*` and `?` (ListGroups: after an optional leading `#`)',
  },
  CONFIRM_REQUIRED: {
    code: 18,
    scope: 'reserved',
    grpc: 'FAILED_PRECONDITION',
    when: 'reserved; not sent by this server (DeleteAccount answers ConfirmDelete instead)',
  },
  INVALID_ARGUMENT: {
    code: 19,
    scope: 'request',
    grpc: 'INVALID_ARGUMENT',
    when: (v) =>
      `Send with empty content, or with a flags bit other than ${v.sendFlags}; Watch with more than ${v.maxWatch} names; CreateGroup with a name that is not ${v.groupRule}; KickFromGroup of yourself`,
  },
  CLIENT_ID_REUSED: {
    code: 20,
    scope: 'request',
    grpc: 'ALREADY_EXISTS',
    when: (v) => `Send reusing a non-zero clientId of the last ${v.dedupHours} h with another recipient (account or group) or content`,
  },
  // Groups.
  NO_SUCH_GROUP: {
    code: 21,
    scope: 'request',
    grpc: 'NOT_FOUND',
    when: 'a group request, or a Send to `#name`, naming no group (or a name that is not a group name)',
  },
  GROUP_TAKEN: { code: 22, scope: 'request', grpc: 'ALREADY_EXISTS', when: 'CreateGroup with the name of a group that exists' },
  NOT_A_MEMBER: {
    code: 23,
    scope: 'request',
    grpc: 'PERMISSION_DENIED',
    when: "a Send to, or an InviteToGroup, LeaveGroup or ListMembers (of an invite-only group) of, a group you are not a member of; KickFromGroup of an account that is not a member",
  },
  NOT_OWNER: { code: 24, scope: 'request', grpc: 'PERMISSION_DENIED', when: "KickFromGroup or DeleteGroup of a group you do not own" },
  NOT_INVITED: { code: 25, scope: 'request', grpc: 'PERMISSION_DENIED', when: 'JoinGroup of an invite-only group nobody invited you to' },
  GROUP_FULL: {
    code: 26,
    scope: 'request',
    grpc: 'RESOURCE_EXHAUSTED',
    when: (v) => `JoinGroup of a group that has the most members the server allows (default ${v.groupMaxMembers})`,
  },
  TOO_MANY_GROUPS: {
    code: 27,
    scope: 'request',
    grpc: 'RESOURCE_EXHAUSTED',
    when: (v) => `CreateGroup or JoinGroup by an account that is a member of the most groups the server allows (default ${v.groupsPerAccount})`,
  },
  // Server side.
  BUSY: { code: 30, scope: 'stream', grpc: 'RESOURCE_EXHAUSTED', when: 'gRPC only: a Subscribe stream whose client reads too slowly is ended with it' },
  INTERNAL: {
    code: 31,
    scope: 'any',
    grpc: 'INTERNAL',
    when: 'any request the server failed to carry out (e.g. a storage error; Send once message ids are exhausted)',
  },
  SHUTTING_DOWN: {
    code: 32,
    scope: 'any',
    grpc: 'UNAVAILABLE',
    when: 'any request the server had read but not started when it began shutting down: nothing of it was done (see Connections)',
  },
  /** Too many connections (from this address, or in all): the server closes this one. */
  TOO_MANY_CONNECTIONS: {
    code: 33,
    scope: 'connection',
    grpc: 'RESOURCE_EXHAUSTED',
    when: 'a new connection over the per-address or total cap; request id 0, then the connection is closed',
  },
  /** No successful Register or Login within the server's time limit, or a silent peer: closed. */
  IDLE_TIMEOUT: {
    code: 34,
    scope: 'connection',
    grpc: 'DEADLINE_EXCEEDED',
    when: (v) =>
      `a connection with no successful Register or Login within the server's limit (default ${v.authTimeout}), or one silent after a KeepAlive; request id 0, then closed`,
  },
  /** The recipient's queue is at its cap (messages or bytes): retry once they have read some. */
  MAILBOX_FULL: {
    code: 35,
    scope: 'request',
    grpc: 'RESOURCE_EXHAUSTED',
    when: "Send to a recipient whose queue holds the most messages or bytes the server allows, or to a group whose slowest member has that many of its messages waiting; nothing is stored, retry later",
  },
  /** The server's disk is full: nothing was stored; retry later. Retryable, hence UNAVAILABLE over gRPC. */
  DISK_FULL: {
    code: 36,
    scope: 'request',
    grpc: 'UNAVAILABLE',
    when: "a request that writes, when the server's disk is full; nothing changed, retry later",
  },
  /** Too many requests of this kind from this address (registrations): retry later. */
  RATE_LIMITED: {
    code: 37,
    scope: 'request',
    grpc: 'RESOURCE_EXHAUSTED',
    when: 'Register from an address that registered too many accounts recently; retry later',
  },
  /**
   * The server cannot reach its database (scale-out): retry shortly, on this server or another. A
   * Send may have been stored all the same: resend it with RESEND and the same clientId.
   */
  UNAVAILABLE: {
    code: 38,
    scope: 'request',
    grpc: 'UNAVAILABLE',
    when: 'a request that needs the database, when a node of a scale-out setup (`--store postgres://…`) cannot reach it; retry shortly, here or on another node. A Send may have been stored all the same: resend it with RESEND and the same clientId',
  },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCodeName = keyof typeof ERRORS;

/** Stable error codes by name (ERRORS' numbers). */
export const ErrorCode = Object.fromEntries(Object.entries(ERRORS).map(([k, v]) => [k, v.code])) as {
  readonly [K in ErrorCodeName]: (typeof ERRORS)[K]['code'];
};

/** The error codes of a scope, in table order. */
export function errorsOf(scope: ErrorScope): ErrorCodeName[] {
  return (Object.keys(ERRORS) as ErrorCodeName[]).filter((k) => ERRORS[k].scope === scope);
}

const names = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]),
);

/** The symbolic name of a wire error code ("UNKNOWN_1234" for codes this build does not know). */
export function errorName(code: number): string {
  return names.get(code) ?? `UNKNOWN_${code}`;
}

/** A frame or field that breaks the protocol: a stable code, the field it is about, and a sentence. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An error the server answered with (an Error frame), as seen by a client. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: string;
  constructor(
    readonly wireCode: number,
    text: string,
  ) {
    super(text);
    this.code = errorName(wireCode);
  }
}
