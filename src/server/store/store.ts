/**
 * What the service needs from storage. No rules live here (the service checks names, passwords and
 * sessions); a store only keeps data and does each operation atomically. Operations take effect in
 * the order they are called, so a caller can pipeline them (e.g. an Ack then a Fetch).
 */

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
}

export interface AppendInput {
  senderId: number;
  /** Must name a live account, or the result is `noSuchRecipient`. */
  recipientName: string;
  /** The sender's id for this message; a resend within `dedupWindowMs` returns the first id. */
  clientId: number;
  flags: number;
  content: string;
  sentAt: number;
  dedupWindowMs: number;
}

export type AppendResult =
  | { ok: true; id: number; recipientId: number; sentAt: number; duplicate: boolean }
  | { ok: false; noSuchRecipient: true };

export type DeleteResult = { deleted: true } | { deleted: false; waiting: number };

export interface Store {
  /** Creates a live account; undefined if a live account has that name. */
  createAccount(name: string, hash: string): Promise<number | undefined>;
  /** The live account with this name. */
  findAccount(name: string): Promise<Account | undefined>;
  /** True if the account exists and is not deleted. */
  isLive(accountId: number): Promise<boolean>;
  /**
   * Deletes an account and every message waiting for it. Unless `force`, does nothing when messages
   * wait and reports how many. Messages it sent stay with their recipients.
   */
  deleteAccount(accountId: number, force: boolean): Promise<DeleteResult>;
  /** Live accounts whose name matches `pattern` (`*` any run, `?` one character), sorted by name. */
  listAccounts(pattern: string, offset: number, limit: number): Promise<{ total: number; names: string[] }>;
  /** Stores a message durably (resolves only after it is committed). */
  appendMessage(input: AppendInput): Promise<AppendResult>;
  /** Up to `max` waiting messages, oldest first, and how many more wait after them. */
  fetchQueued(recipientId: number, max: number): Promise<{ messages: StoredMessage[]; remaining: number }>;
  /** Removes these messages from the recipient's queue (ids not waiting for it are ignored); resolves with how many went. */
  ack(recipientId: number, ids: readonly number[]): Promise<number>;
  /** How many messages wait for the account. */
  countQueued(recipientId: number): Promise<number>;
  /** Commits everything pending, then closes. */
  close(): Promise<void>;
}
