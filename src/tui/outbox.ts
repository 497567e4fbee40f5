/**
 * What the user sent and the server has not accepted yet: shown at once as pending, sent again
 * (flagged RESEND, same client id) after a reconnect, retried after a refusal that says "try
 * again", and kept in the history once accepted.
 */
import { FifoMap } from '../protocol/fifoMap.js';
import { ClientIds } from '../protocol/client.js';
import { validate, type Body } from '../protocol/codec.js';
import { MessageFlags } from '../protocol/schema.js';
import type { HistoryKeeper } from './historyKeeper.js';
import { backoff, describe, isConnectionError, type ClientLike } from './link.js';
import type { Action } from './state/index.js';
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
  /** Sent before without an answer (the link dropped): a retry is flagged RESEND. */
  tried?: boolean;
  /** A Send of it is on the wire now (a retry waits for its answer). */
  inFlight?: boolean;
  /** Retries after a retryable refusal (UNAVAILABLE, DISK_FULL), for the backoff. */
  retries?: number;
}

/** Refusals that say "nothing final happened, try again": the message stays pending and is sent again. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DISK_FULL']);

export class Outbox {
  /** Sent but not yet accepted, in order. */
  private readonly pending = new Map<number, Outgoing>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Client message ids, kept across connections (a resend reuses its id). */
  private readonly clientIds = new ClientIds();
  /** Receipts lately received: one may come before the Accepted of its message (a resend's). */
  private readonly receipts = new FifoMap<number, true>(1000);

  constructor(private readonly host: OutboxHost) {}

  /** Sends a message; text with non-ASCII characters goes as UTF-7, flagged. */
  send(recipient: string, text: string, fromCompose: boolean, at: number): void {
    const clientId = this.clientIds.take();
    const { content, flags } = toWire(text);
    try {
      // Checks the field widths the same way the wire does, before anything is queued.
      validate({ type: 'Send', recipient, clientId, flags, content });
    } catch (err) {
      this.host.dispatch({ type: 'composeError', text: describe(err) });
      return;
    }
    this.pending.set(clientId, { recipient, text, content, flags, at });
    this.host.dispatch({ type: 'sendStarted', clientId, recipient, text, at, fromCompose });
    void this.trySend(clientId);
  }

  /** After logging in again: everything pending goes again, in order. */
  resendAll(): void {
    for (const id of [...this.pending.keys()]) void this.trySend(id);
  }

  /** Our messages with these ids reached their recipient (a receipt may beat the Accepted). */
  receipted(ids: readonly number[]): void {
    for (const id of ids) this.receipts.set(id, true);
  }

  /** Forgets everything pending (the session ended: another login, a takeover, a deleted account). */
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
      this.pending.delete(clientId);
      host.dispatch({ type: 'sendAccepted', clientId, id });
      const early = this.receipts.has(id);
      if (early) host.dispatch({ type: 'delivered', ids: [id] });
      const delivery = early ? 'delivered' : 'queued';
      host.history.keep([{ id, sender: host.me(), peer: item.recipient, own: true, clientId, sentAt: item.at, text: item.text, delivery }]);
    } catch (err) {
      item.inFlight = false;
      if (isConnectionError(err) || host.client() !== c) return; // resent after the reconnect
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE.has(code)) return this.retryLater(clientId, item, err);
      this.pending.delete(clientId);
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
