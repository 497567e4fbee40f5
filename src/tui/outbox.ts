/**
 * What the user sent and the server has not accepted yet. Each message is written to the history
 * file's outbox before it goes on the wire, so quitting, a crash or a dead server loses nothing: it
 * is shown as pending at once, sent again (flagged RESEND, same client id) after a reconnect or at
 * the next login, retried after a refusal that says "try again", and moved into the history once
 * accepted. Without a history file (--no-history) it is kept in memory only.
 */
import { FifoMap } from '../protocol/fifoMap.js';
import { ClientIds } from '../protocol/client.js';
import { validate, type Body } from '../protocol/codec.js';
import { MessageFlags } from '../protocol/schema.js';
import type { OutboxRow } from './history.js';
import type { HistoryKeeper } from './historyKeeper.js';
import { backoff, describe, isConnectionError, type ClientLike } from './link.js';
import type { Action, PendingMessage } from './state/index.js';
import { toWire } from './text/unicode.js';

/** What the outbox needs of the session. */
export interface OutboxHost {
  /** The connection now, logged in or not. */
  client(): ClientLike | null;
  loggedIn(): boolean;
  me(): string;
  dispatch(a: Action): void;
  readonly history: HistoryKeeper;
}

/** A message on its way: the Send fields, what the user typed, and when. */
interface Outgoing extends Pick<Body<'Send'>, 'recipient' | 'content' | 'flags'> {
  text: string;
  at: number;
  /** Sent before without an answer (the link dropped, or an earlier run of the client): a retry is flagged RESEND. */
  tried?: boolean;
  /** A Send of it is on the wire now (a retry waits for its answer). */
  inFlight?: boolean;
  /** Retries after a retryable refusal (UNAVAILABLE, DISK_FULL), for the backoff. */
  retries?: number;
}

/** Refusals that say "nothing final happened, try again": the message stays pending and is sent again. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DISK_FULL']);

const isAction = (flags: number): boolean => (flags & MessageFlags.ACTION) !== 0;

export class Outbox {
  /** Sent but not yet accepted, in order. */
  private readonly pending = new Map<number, Outgoing>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Client message ids without a history file (with one, the file hands them out: they outlive the process). */
  private readonly clientIds = new ClientIds();
  /** Receipts lately received: one may come before the Accepted of its message (a resend's). */
  private readonly receipts = new FifoMap<number, true>(1000);

  constructor(private readonly host: OutboxHost) {}

  /** How many messages wait for the server's Accepted. */
  get size(): number {
    return this.pending.size;
  }

  /** Sends a message; text with non-ASCII characters goes as UTF-7, flagged; an action (/me) is flagged ACTION. */
  send(recipient: string, text: string, fromCompose: boolean, at: number, action = false): void {
    const wire = toWire(text);
    const flags = wire.flags | (action ? MessageFlags.ACTION : 0);
    try {
      // Checks the field widths the same way the wire does, before anything is queued.
      validate({ type: 'Send', recipient, clientId: 1, flags, content: wire.content });
    } catch (err) {
      this.host.dispatch({ type: 'composeError', text: describe(err) });
      return;
    }
    const clientId = this.host.history.takeClientId() ?? this.clientIds.take();
    const row: OutboxRow = { clientId, recipient, text, content: wire.content, flags, at };
    this.host.history.addOutgoing(row);
    this.pending.set(clientId, { recipient, text, content: wire.content, flags, at });
    this.host.dispatch({ type: 'sendStarted', clientId, recipient, text, at, fromCompose, ...(action ? { action } : {}) });
    void this.trySend(clientId);
  }

  /**
   * At a fresh login: the outbox on disk (what an earlier run, or a session taken over, left unsent)
   * replaces what is in memory. Returned for the screen; resendAll() sends it.
   */
  load(): PendingMessage[] {
    this.pending.clear();
    const rows = this.host.history.outbox();
    for (const r of rows) this.pending.set(r.clientId, { recipient: r.recipient, text: r.text, content: r.content, flags: r.flags, at: r.at, tried: true });
    return rows.map((r) => ({ clientId: r.clientId, recipient: r.recipient, text: r.text, at: r.at, ...(isAction(r.flags) ? { action: true } : {}) }));
  }

  /** After logging in: everything pending goes (again), in order. */
  resendAll(): void {
    for (const id of [...this.pending.keys()]) void this.trySend(id);
  }

  /** Our messages with these ids reached their recipient (a receipt may beat the Accepted). */
  receipted(ids: readonly number[]): void {
    for (const id of ids) this.receipts.set(id, true);
  }

  /** Forgets what is pending in memory (the session ended); the outbox on disk stays for the next login. */
  clear(): void {
    this.pending.clear();
  }

  /** Stops the retry timers. */
  stop(): void {
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  private async trySend(clientId: number): Promise<void> {
    const { host } = this;
    const c = host.client();
    const item = this.pending.get(clientId);
    if (!c || !host.loggedIn() || !item || item.inFlight) return;
    item.inFlight = true;
    // A retry says so: the server then pushes it only if it turns out not to be a repeat.
    const flags = item.tried ? item.flags | MessageFlags.RESEND : item.flags;
    item.tried = true;
    try {
      const id = await c.send(item.recipient, item.content, clientId, flags);
      // Cleared meanwhile (a takeover): the next login reads it from disk again.
      if (this.pending.get(clientId) !== item) return;
      this.pending.delete(clientId);
      host.dispatch({ type: 'sendAccepted', clientId, id });
      const early = this.receipts.has(id);
      if (early) host.dispatch({ type: 'delivered', ids: [id] });
      const delivery = early ? 'delivered' : 'queued';
      const stored = { id, sender: host.me(), peer: item.recipient, own: true, clientId, sentAt: item.at, text: item.text, delivery, ...(isAction(item.flags) ? { action: true } : {}) } as const;
      host.history.accepted(clientId, stored);
    } catch (err) {
      item.inFlight = false;
      if (isConnectionError(err) || host.client() !== c) return; // resent after the reconnect
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE.has(code)) return this.retryLater(clientId, item, err);
      if (this.pending.get(clientId) !== item) return;
      this.pending.delete(clientId);
      host.history.dropOutgoing(clientId);
      host.dispatch({ type: 'sendFailed', clientId, error: describe(err) });
    }
  }

  /**
   * The server could not store it now (its database or disk): it stays pending and goes again,
   * flagged RESEND (it may have been stored all the same), after the reconnect backoff.
   */
  private retryLater(clientId: number, item: Outgoing, err: unknown): void {
    const retries = (item.retries ?? 0) + 1;
    item.retries = retries;
    if (retries === 1) this.host.dispatch({ type: 'error', text: `${describe(err)}: your message stays pending and is sent again` });
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      void this.trySend(clientId);
    }, backoff(retries - 1));
    this.retryTimers.add(t);
  }
}
