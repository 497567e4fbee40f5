/**
 * What the rule modules (accounts, delivery, presence) and the transports share: the Session a
 * connection has, how a request is answered, the errors a rule raises, and `Core`, the service's
 * in-memory state. Nothing here imports the service or a rule module back.
 */
import type { Push, RawFields, Request, Response } from '../protocol/codec.js';
import { ErrorCode, type ErrorCodeName } from '../protocol/errors.js';
import { errorText } from '../protocol/schema.js';
import { DeliveredIds } from './deliveredIds.js';
import type { Log } from './log.js';
import type { MessageIds } from './messageIds.js';
import type { Metrics } from './metrics.js';
import type { ServiceLimits } from './serviceOptions.js';
import type { StoreQueue } from './storeQueue.js';
import { UNAVAILABLE, type SharedStore } from './store/store.js';

/** A rule was broken: a stable code and a sentence for the user. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCodeName,
    message: string,
  ) {
    super(message);
  }
}

/** Where a session's pushes go (the transport writes them to its connection). */
export interface SessionSink {
  /** `raw` may carry already-validated field bytes (a relayed content) to copy instead of re-encoding. */
  push(msg: Push, raw?: RawFields): void;
  /**
   * The same push as a whole frame encoded already (request id 0), where the transport writes frames:
   * a group message is encoded once for all its members.
   */
  pushFrame?(frame: Buffer): void;
}

/**
 * Answers one request, exactly once. `after` runs once the answer has left (in request order), for
 * pushes that must follow it: the receipts kept for an account come after its LoginOk.
 */
export type Reply = (r: Response, after?: () => void) => void;

export type SendRequest = Extract<Request, { type: 'Send' }>;

/** A Send held back until the database has answered what the node could not know by itself (sendGate.ts). */
export interface WaitingSend {
  req: SendRequest;
  reply: Reply;
  body: Buffer | undefined;
  /** Its recipient was looked up already: do not wait for that again. */
  looked?: boolean;
}

/** One connection's view of the service. */
export class Session {
  accountId: number | undefined;
  username: string | undefined;
  /** The peer has had a Register or Login succeed: it is a user, not a stray socket (the auth timeout ends). */
  proven = false;
  closed = false;
  /**
   * Ids handed to this session (pushed or fetched) and not yet acknowledged. Ack removes only these,
   * so a cumulative Ack after a live push cannot drop older messages the user has never seen.
   */
  readonly delivered = new DeliveredIds();
  /** Of `delivered`, the group messages (their Ack goes to groups.ts); absent until there is one. */
  groupDelivered: DeliveredIds | undefined;
  /** The names this session watches (Watch); emptied when it logs out or closes. */
  watching: readonly string[] = [];
  /** Shared store: this session's claim on its account (a later claim elsewhere takes over). */
  claim: number | undefined;
  /** Shared store: Sends waiting, in order, for something only the database can say (sendGate.ts). */
  backlog: WaitingSend[] | undefined;
  /**
   * This session's Sends whose push waits for their commit (a resend, say): while any does, later
   * Sends wait too, so a recipient is pushed one sender's messages in the order they were sent.
   */
  deferredPushes = 0;
  /**
   * A Send of this session failed to be stored (the database was out of reach, the disk full): until
   * one is stored again, Sends are pushed only once stored, so no recipient is shown a message that
   * was never kept ahead of the one before it that is being sent again.
   */
  storeFailed = false;
  /** How long this session takes to acknowledge a push, recently (a moving average, ms). */
  ackDelayMs = 0;
  /** One push being timed until an Ack covers it (id 0: none): a sample for ackDelayMs. */
  timedPushId = 0;
  timedPushAt = 0;
  constructor(
    readonly id: number,
    readonly sink: SessionSink,
    /** The peer's IP address, for the per-address limits (undefined: none apply). */
    readonly address?: string,
  ) {}
}

/** Notes that a group message was handed to the session (pushed or fetched): its Ack moves the member's position (groups.ts). */
export function noteGroupMessage(s: Session, id: number): void {
  (s.groupDelivered ??= new DeliveredIds()).add(id);
}

/** The session's account id, or NOT_LOGGED_IN. */
export function accountOf(s: Session): number {
  if (s.accountId === undefined) throw new ServiceError('NOT_LOGGED_IN', 'log in first');
  return s.accountId;
}

/** What waits for one recipient: the queue cap is checked against it on every Send, without the disk. */
export interface QueueSize {
  n: number;
  bytes: number;
}

/** The service's in-memory state, shared by the rule modules; the store is reached only through `queue`. */
export interface Core {
  readonly queue: StoreQueue;
  readonly log: Log;
  readonly limits: ServiceLimits;
  /** Set when several nodes share the store: then ids come in blocks, and sessions and wake-ups cross nodes. */
  readonly shared: SharedStore | undefined;
  /** The live session of each logged-in account (on this node). */
  readonly online: Map<number, Session>;
  /** Every live account, name -> id: the cheap checks (taken name, unknown recipient) need no disk. */
  readonly directory: Map<string, number>;
  /** What waits for each account (committed or on its way), for the queue cap. */
  readonly queued: Map<number, QueueSize>;
  /** Where message ids come from (messageIds.ts); set when the store is open. */
  ids: MessageIds;
  /** The server is shutting down: new work is refused. */
  closing: boolean;
  readonly metrics: Metrics;
}

/** An Error response for a code from errors.ts. */
export function errorResponse(code: ErrorCodeName, text: string): Response {
  return { type: 'Error', code: ErrorCode[code], text: text.slice(0, errorText.size) };
}

/** An Error answer for a storage failure: DISK_FULL (retryable, nothing changed), UNAVAILABLE or INTERNAL. */
export function storageError(error: string): Response {
  if (/SQLITE_FULL|disk is full|ENOSPC|could not extend file/i.test(error)) {
    return errorResponse('DISK_FULL', "the server's disk is full; nothing was changed, try again later");
  }
  if (error.startsWith(UNAVAILABLE)) return errorResponse('UNAVAILABLE', 'the server cannot reach its database; try again in a moment');
  return errorResponse('INTERNAL', 'internal server error');
}

/** The answer for a request that threw: a rule's own error, or a storage failure (logged). */
export function toErrorResponse(log: Log, s: Session, req: Request, err: unknown): Response {
  if (err instanceof ServiceError) return errorResponse(err.code, err.message);
  log.error({ err, session: s.id, request: req.type }, 'request failed');
  return storageError(err instanceof Error ? err.message : String(err));
}
