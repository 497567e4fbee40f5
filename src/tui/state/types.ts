/** The data the reducers share: messages as the view keeps them, and what arrives from the session. */
import type { Body } from '../../protocol/codec.js';
import type { SeenSet } from './seenSet.js';

/** What became of a message we sent: 'delivered' once the server's receipt (Delivered push) says so. */
export type Delivery = 'pending' | 'queued' | 'delivered';

/** One message in the client, received or sent by us. */
export interface Entry {
  /** Unique among entries (a React key). */
  readonly key: string;
  /** Server id (increasing, the order of messages); 0 while our own message is not accepted yet. */
  readonly id: number;
  /** Local arrival order: breaks ties and orders messages without an id yet. */
  readonly seq: number;
  readonly sender: string;
  /** The other person in the conversation (recipient of ours, sender of theirs). */
  readonly peer: string;
  readonly own: boolean;
  /** The sender's client message id; 0 = none. */
  readonly clientId: number;
  readonly sentAt: number;
  /** Display text (decoded from UTF-7 when flagged). */
  readonly text: string;
  readonly senderDeleted?: boolean;
  /** An action (/me, MessageFlags.ACTION): shown `* alice waves`. */
  readonly action?: boolean;
  /** Only on our own messages. */
  readonly delivery?: Delivery;
}

/**
 * A received message as the session hands it over: the schema's Message fields, the text decoded
 * instead of `content`, and for a message sent to a group the group (its window).
 */
export type IncomingMessage = Readonly<Omit<Body<'Message'>, 'content'>> & { readonly text: string; readonly group?: string };

/** A message read back from the history file. */
export type StoredMessage = Pick<IncomingMessage, 'id' | 'sender' | 'clientId' | 'sentAt' | 'text'> & {
  readonly peer: string;
  readonly own: boolean;
  readonly delivery?: Delivery;
  readonly action?: boolean;
};

/** One of our messages the server has not accepted yet (from the outbox at login, or just sent). */
export interface PendingMessage {
  readonly clientId: number;
  readonly recipient: string;
  readonly text: string;
  /** When the user sent it (ms). */
  readonly at: number;
  readonly action?: boolean;
}

/** The messages and the views on them (conversations.ts keeps it, views.ts reads it). */
export interface ConvState {
  /** Every message, ordered by server id (ours without an id yet last, in the order sent). */
  readonly entries: readonly Entry[];
  /**
   * Received messages as "id@sentAt": a repeat of one is dropped. The time is part of the key so a
   * server that lost its data and counts ids from 1 again is not taken for repeating old history.
   */
  readonly seenIds: SeenSet<string>;
  /** "sender/clientId" of every message shown (clientId 0 never counts): a resent message is dropped. */
  readonly seenClient: SeenSet<string>;
  /** Open conversations, in the order they were opened. */
  readonly open: readonly string[];
  /** The view on screen: a conversation, or null for the inbox (all messages). */
  readonly view: string | null;
  readonly unread: Readonly<Record<string, number>>;
  /** Lines hidden below the bottom of the view (0 = following the newest). */
  readonly scroll: number;
  /** Messages that arrived in this view while scrolled back. */
  readonly newBelow: number;
  /** Text rows and columns of the message pane (from the layout). */
  readonly rows: number;
  readonly width: number;
  /** Per view ('' = inbox), the last seq that /clear hid. */
  readonly cleared: Readonly<Record<string, number>>;
  /** Per view ('' = inbox), the last seq seen when it was last left (or at login): the read marker follows it. */
  readonly readTo: Readonly<Record<string, number>>;
  /** Counts the messages that arrived live in a window not on screen (each one rings the bell). */
  readonly bells: number;
  /** Search results shown instead of the view. */
  readonly search: { readonly query: string; readonly results: readonly Entry[] } | null;
  readonly nextSeq: number;
}
