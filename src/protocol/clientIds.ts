/**
 * What makes a resend safe from the client's side: the ids a sender gives its messages (ClientIds)
 * and the filter that recognises a message pushed again under a new id (RepeatFilter). Both
 * outlive a connection; ChatClient, the gRPC client and the TUI share them.
 */
import { FifoMap } from './fifoMap.js';
import { maxValue } from './fields.js';
import { schema } from './schema.js';

/**
 * Recognises a message pushed again under a new id (same sender and clientId; clientId 0 is never a
 * repeat). Pass one filter to every connection of a user (ConnectOptions.repeats), so that it
 * outlives a reconnect: the repeat comes after the server restarted.
 */
export class RepeatFilter {
  private readonly seen: FifoMap<string, number>;
  constructor(capacity = 10_000) {
    this.seen = new FifoMap(capacity);
  }

  /** True if this (sender, clientId) was pushed before; remembers it otherwise. */
  isRepeat(m: { sender: string; clientId: number; id: number }): boolean {
    if (m.clientId === 0) return false;
    const key = `${m.sender}\0${m.clientId}`;
    if (this.seen.has(key)) return true;
    this.seen.set(key, m.id);
    return false;
  }
}

const MAX_CLIENT_ID = maxValue(schema.Send.fields.clientId);

/**
 * Client message ids, from a random start, never 0 (which means "no id": never recognised as a
 * repeat), wrapping at the field's width. One per sender, kept across reconnects, so that a resend
 * reuses its id and a new message never does.
 */
export class ClientIds {
  private next = 1 + Math.floor(Math.random() * MAX_CLIENT_ID);

  /** A fresh id. */
  take(): number {
    const id = this.next;
    this.next = id >= MAX_CLIENT_ID ? 1 : id + 1;
    return id;
  }
}
