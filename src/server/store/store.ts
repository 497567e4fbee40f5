/**
 * What the service needs from storage. No rules live here (the service checks names, passwords and
 * sessions); a store keeps data and runs batches of operations.
 *
 * The service hands the store one batch at a time (see storeQueue.ts): every operation of a batch
 * takes effect in order, inside one transaction, and the batch's promise settles only once that
 * transaction is durable. So one fsync serves a whole batch (group commit), and a caller that
 * queued a write before a read sees the write.
 */

import type { DelayRule } from '../throttle.js';
import type { GroupDeparture, GroupOp, GroupResultOf } from './groupOps.js';
export interface Account {
  id: number;
  name: string;
  /** Stored password hash (see auth.ts). */
  hash: string;
}

export interface StoredMessage {
  /** Increasing, never reused. */
  id: number;
  senderName: string;
  /** The sender's client message id. */
  clientId: number;
  /** Flags the sender set (MessageFlags.UTF7). */
  flags: number;
  /** The sender's account has since been deleted. */
  senderDeleted: boolean;
  /** Milliseconds since the Unix epoch. */
  sentAt: number;
  content: string;
  /** Set for a message sent to a group: the group's name. */
  group?: string;
}

/** A message that left its recipient's queue, and who sent it (for a delivery receipt). */
export interface Receipt {
  id: number;
  senderId: number;
  /**
   * A store shared by several nodes has dealt with it already: sent to the sender's node, or kept
   * for an offline sender. Only receipts of senders on this node are left to the service.
   */
  handled?: true;
}

export type DeleteResult = { deleted: true; groups?: GroupDeparture[] } | { deleted: false; waiting: number };

/**
 * Stores a message under an id the service chose. With `clientId` non-zero, a (sender, clientId)
 * already stored within `dedupSince` is not stored again: the result names the first message, or
 * says the id was reused for a different message.
 */
export interface InsertOp {
  op: 'insert';
  id: number;
  senderId: number;
  recipientId: number;
  clientId: number;
  flags: number;
  sentAt: number;
  /** The content's bytes (ASCII, no padding). */
  content: Buffer;
  /** Resend records older than this (ms since the epoch) do not count. */
  dedupSince: number;
  /**
   * A store shared by several nodes: the sender's name, when the message must wake the other nodes
   * (its recipient is not online on this one). The wake-up carries the whole message and commits
   * with it, so a node never has to find it by a cursor.
   */
  wake?: string;
  /**
   * A store shared by several nodes checks the recipient's mailbox cap itself (the nodes' own counts
   * cannot see each other's Sends). A message already pushed to its recipient passes: it is in flight.
   */
  pushed?: boolean;
}

export type InsertResult =
  | { stored: true }
  | { stored: false; duplicateOf: number }
  | { stored: false; reused: true }
  | { stored: false; noSuchRecipient: true }
  /** Shared store: the recipient's mailbox is at its cap. */
  | { stored: false; full: true };

export type Op =
  | InsertOp
  /** Removes these messages from the recipient's queue; result: a Receipt for each that went, and their content bytes. */
  | { op: 'ack'; recipientId: number; ids: number[] }
  /**
   * Keeps delivery receipts for senders that are offline (not for a deleted sender). A store shared
   * by several nodes sends those of a sender with a live session on another node there instead.
   */
  | { op: 'addReceipts'; receipts: Receipt[] }
  /** The ids of the sender's kept receipts, removed in the same operation: each is handed out once. */
  | { op: 'takeReceipts'; senderId: number }
  /**
   * The ids of the sender's messages (sent with a client id) acknowledged by their recipients at or
   * after `since` (ms since the epoch): receipts again, for a session that may have missed them.
   */
  | { op: 'recentReceipts'; senderId: number; since: number }
  /** Up to `max` waiting messages, group messages included, oldest first (only ids above `after`, if given), and how many more wait after them. */
  | { op: 'fetch'; recipientId: number; max: number; after?: number }
  /** How many messages wait for the account (group messages included). */
  | { op: 'count'; recipientId: number }
  /** The live account with this name, or undefined. */
  | { op: 'findAccount'; name: string }
  /** Creates a live account; result: its id, or undefined if a live account has that name. */
  | { op: 'createAccount'; name: string; hash: string }
  /**
   * Deletes an account, its queue and its kept receipts (unless messages wait and !force; group
   * messages waiting for it count); messages it sent stay. It leaves its groups (groupOps.ts).
   */
  | { op: 'deleteAccount'; accountId: number; force: boolean }
  /** Live accounts matching a GLOB-style pattern (`*`, `?`), sorted by name, one page, and the total. */
  | { op: 'list'; pattern: string; offset: number; limit: number }
  /** Forgets resend records older than `before`. */
  | { op: 'prune'; before: number }
  /**
   * Records that ids up to `upTo` may be in use: after a crash the store starts counting above it,
   * so an id that was pushed but never committed is never given to another message.
   */
  | { op: 'reserveIds'; upTo: number }
  // The operations below exist only in a store shared by several nodes (Store.shared is set).
  /** A fresh block of message ids, above every id any node has been given. */
  | { op: 'allocateIds' }
  /**
   * Makes this node's new session the account's one live session (a lease held with the node's):
   * a session elsewhere is told to go (NodeEvent takeover), or the account's watchers that it came online.
   */
  | { op: 'bindSession'; accountId: number; name: string }
  /** Ends the account's session `claim` if it is still the live one (watchers hear it went offline). */
  | { op: 'unbindSession'; accountId: number; claim: number }
  /** Binds again, after the link to the other nodes was down, the sessions this node still has; result: the accounts taken over meanwhile. */
  | { op: 'rebind'; sessions: Array<{ accountId: number; name: string; claim: number }> }
  /** Which of these names have a live session on some node. */
  | { op: 'online'; names: readonly string[] }
  /** Every live account (name -> id), to reload the directory after the link was down. */
  | { op: 'accounts' }
  /**
   * Shared store: the login throttle's counts (throttle.ts ThrottleCounters), kept in the database
   * so that every node applies the same ones. Results: LoginTurn, nothing, nothing, boolean, boolean.
   */
  | { op: 'throttleTurn'; keys: readonly string[]; now: number; rule: DelayRule }
  | { op: 'throttleFail'; keys: readonly string[]; now: number; rule: DelayRule }
  | { op: 'throttleSuccess'; keys: readonly string[]; account: string; address: string; now: number }
  | { op: 'knownAddress'; account: string; address: string; since: number }
  | { op: 'register'; address: string; now: number; windowMs: number; perWindow: number }
  // Group conversations (groupOps.ts).
  | GroupOp;

export interface ResultOf extends GroupResultOf {
  insert: InsertResult;
  ack: { receipts: Receipt[]; bytes: number };
  addReceipts: null;
  takeReceipts: number[];
  fetch: { messages: StoredMessage[]; remaining: number };
  count: number;
  findAccount: Account | undefined;
  createAccount: number | undefined;
  deleteAccount: DeleteResult;
  list: { total: number; names: string[] };
  prune: number;
  reserveIds: null;
  allocateIds: IdBlock;
  bindSession: Binding;
  unbindSession: null;
  rebind: number[];
  online: string[];
  accounts: Array<[name: string, id: number]>;
}

/** Message ids [first, first + count) are this node's alone. */
export interface IdBlock {
  first: number;
  count: number;
}

export interface Binding {
  /** This session's claim: a later claim on the account (another login) takes over from it. */
  claim: number;
  /** Whether the account had a live session already (then its watchers heard nothing new). */
  wasOnline: boolean;
  /** The first id of the newest block any node was given: this node's ids must be above it for the account's order to hold. */
  newestBlock: number;
}

/** What one node hears from the others sharing its store. */
export type NodeEvent =
  /** Messages committed elsewhere: push those whose recipient is online here. */
  | { type: 'messages'; messages: Array<StoredMessage & { recipientId: number }> }
  /** The account logged in on another node: sessions with an older claim are logged out. */
  | { type: 'takeover'; accountId: number; claim: number }
  /** The account's first session began, or its last ended (also when its node's lease ran out). */
  | { type: 'presence'; name: string; online: boolean }
  /** Delivery receipts for a sender with a live session: push them if it is here (keep them if it just left). */
  | { type: 'receipts'; senderId: number; ids: number[] }
  /** An account was created or deleted on another node. */
  | { type: 'account'; name: string; id: number; live: boolean }
  /**
   * The link to the other nodes was down, or this node's lease ran out: anything may have been
   * missed. Bind the live sessions again, reload the directory, push what waits.
   */
  /** A gap in the wake-ups that began about `since` (ms since the epoch): what was sent in it may be lost. */
  | { type: 'resync'; since: number }
  /** Group messages committed elsewhere, each with its recipients online on other nodes than the sender's: push to those here. */
  | { type: 'groupMessages'; messages: Array<StoredMessage & { group: string; recipients: number[] }> }
  /** Group messages acknowledged elsewhere (an id once per member that did): for their senders' delivery counts. */
  | { type: 'groupAcks'; ids: number[] }
  /** A group changed elsewhere: tell its members here (`members`: who is to be told). */
  | { type: 'groupChanged'; group: string; change: number; name: string; by: string; members: number[] };

/** A store several nodes share: it carries wake-ups between them and holds the session leases. */
export interface SharedStore {
  /** This node's id (a UUID), for logs. */
  readonly nodeId: string;
  /** Where this node's events go (one listener). */
  onEvent(listener: (e: NodeEvent) => void): void;
}

/** One operation's outcome: its result, or the error it failed with (the others still commit). */
export type OpResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface OpenState {
  /** Every live account, for the service's in-memory directory (name -> id). */
  accounts: Array<[name: string, id: number]>;
  /** Larger than every message id ever used or reserved: the service counts on from here. */
  nextMessageId: number;
  /** Each non-empty queue: how many messages wait for the account and their content bytes (for the queue cap). */
  queues: Array<[recipientId: number, count: number, bytes: number]>;
}

export interface Store {
  /** Opens (creating or migrating) the store and reports what the service needs at start. */
  open(): Promise<OpenState>;
  /**
   * Runs a batch in one transaction, in order, and resolves once it is durable. It rejects only
   * when the transaction as a whole failed (nothing of it is stored); one failing operation
   * becomes that operation's error result.
   */
  run(batch: readonly Op[]): Promise<OpResult[]>;
  /** Closes; the caller has let every batch settle. */
  close(): Promise<void>;
  /** Batches committed and operations they carried, since start. */
  readonly stats: { commits: number; ops: number };
  /** Set when several nodes share this store. */
  readonly shared?: SharedStore;
}

/** The message a store failing for want of its database rejects with: the request may be retried. */
export const UNAVAILABLE = 'database unavailable';
