/**
 * Delivery: Send, the live push, Ack, Fetch and the delivery receipts. The hot path is synchronous:
 * a Send is checked against the in-memory directory and mailbox counts, gets its id from a counter,
 * is pushed to an online recipient at once and queued for the next group commit; its Accepted goes
 * out when that commit is durable. A message leaves its recipient's queue only on the recipient's Ack.
 */
import { fieldSpan, layout, type Push, type Response } from '../protocol/codec.js';
import { DEFAULT_MAX_BODY } from '../protocol/framing.js';
import { LIST_MAX_ITEMS } from '../protocol/fields.js';
import { MessageFlags, SEND_FLAGS } from '../protocol/schema.js';
import { RecentSends } from './recentSends.js';
import { SendGate } from './sendGate.js';
import {
  accountOf,
  errorResponse,
  noteGroupMessage,
  ServiceError,
  storageError,
  toErrorResponse,
  type Core,
  type QueueSize,
  type Reply,
  type SendRequest,
  type Session,
} from './session.js';
import type { Settles } from './storeQueue.js';
import type { InsertOp, InsertResult, OpResult, Receipt, StoredMessage } from './store/store.js';

/** Where a Send body keeps its content: relayed to the recipient as it is. */
const CONTENT = fieldSpan('Send', 'content');

/** Most ids in one Delivered push: its frame stays under the size limit a client accepts by default. */
export const MAX_RECEIPTS = Math.min(LIST_MAX_ITEMS, Math.floor((DEFAULT_MAX_BODY - layout('Delivered').fixed) / layout('Delivered').list!.itemSize));

/** How many of the Sends delivered before they were written are remembered for a resend (a process's memory; a restart forgets them). */
export const RECENT_UNWRITTEN = 100_000;

type MessagePush = Extract<Push, { type: 'Message' }>;
type ChatMessageOut = Extract<Response, { type: 'MessageBatch' }>['messages'][number];

/**
 * One Send in flight, from its arrival to its answer: it is the store operation itself (an
 * InsertOp), what the queue tells its result (`settled`), and all that is needed to push it and to
 * answer it. One object per message, no closure: a busy stream keeps thousands in flight.
 */
class SendRecord implements InsertOp, Settles {
  readonly op = 'insert' as const;
  wake?: string;
  pushed?: boolean;
  /** Its place in the store queue (to take it back when the recipient acknowledges it first). */
  seq = 0;

  constructor(
    private readonly delivery: Delivery,
    readonly session: Session,
    readonly reply: Reply,
    readonly id: number,
    readonly senderId: number,
    readonly recipientId: number,
    readonly clientId: number,
    readonly flags: number,
    readonly sentAt: number,
    /** The content as it is on the wire (a view of the request frame's field, no copy). */
    readonly content: Buffer,
    readonly dedupSince: number,
    /** The request as decoded (the recipient's name, the content as text for a push). */
    readonly req: SendRequest,
    /** The content field with its padding, to relay as it is. */
    readonly padded: Buffer | undefined,
    /** Its push waits for its commit. */
    readonly deferred: boolean,
  ) {}

  settled(r: OpResult): void {
    this.delivery.stored(this, r);
  }
}

/** What delivered and acknowledged before it reached the store counts as. */
const DELIVERED: OpResult = { ok: true, value: { stored: true } satisfies InsertResult };


export class Delivery {
  private readonly pending = new Map<number, SendRecord>();
  /** (sender, clientId) of recent Sends delivered and acknowledged before they were written, for resends. */
  private readonly deliveredUnwritten = new RecentSends(RECENT_UNWRITTEN);
  /** Shared store: where Sends wait for what only the database knows. */
  private readonly gate: SendGate | undefined;

  constructor(
    private readonly core: Core,
    /** Takes the group messages out of an Ack's ids and acknowledges them (groups.ts). */
    private readonly groupAck?: GroupAck,
  ) {
    this.gate = core.shared
      ? new SendGate({
          core,
          go: (s, w) => {
            try {
              this.sendNow(s, w.req, w.reply, w.body);
            } catch (err) {
              w.reply(toErrorResponse(core.log, s, w.req, err));
            }
          },
        })
      : undefined;
  }

  /**
   * Stores a message and pushes it to an online recipient at once, before the commit: the push
   * carries the sender's clientId, so if the server dies before the commit and the sender resends,
   * the recipient recognises the repeat. Accepted waits for the commit.
   */
  send(s: Session, req: SendRequest, reply: Reply, body?: Buffer): void {
    if (this.gate) this.gate.admit(s, { req, reply, body });
    else this.sendNow(s, req, reply, body);
  }

  private sendNow(s: Session, req: SendRequest, reply: Reply, body: Buffer | undefined): void {
    const from = accountOf(s);
    const to = this.recipientOf(req);
    const { clientId, flags, content } = req;
    if ((flags & MessageFlags.RESEND) !== 0 && clientId !== 0) {
      // A resend of a message that was delivered and acknowledged without being written: the store
      // has no record of it, this does.
      const earlier = this.deliveredUnwritten.find(from, clientId);
      if (earlier !== undefined && earlier.recipientId === to) {
        // It was delivered and acknowledged: a sender resending it missed the Accepted, and so
        // perhaps its receipt too (nothing was written to replay it from). The receipt follows.
        reply({ type: 'Accepted', messageId: earlier.id }, () => this.sendReceipts({ senderId: from, ids: [earlier.id] }));
        return;
      }
    }
    const q = this.mailbox(to, req);
    const id = this.core.ids.take();
    if (id === undefined) throw new ServiceError('INTERNAL', 'message ids are exhausted');
    q.n++;
    q.bytes += content.length;
    const sentAt = Date.now();
    const kept = flags & ~MessageFlags.RESEND;
    const padded = body?.subarray(CONTENT.at, CONTENT.at + CONTENT.size);
    // Pushed after the commit instead: a resend (the store says whether it is a repeat), an id whose
    // reservation is not durable yet, or a Send behind one of those (commits keep the session's order).
    const deferred = (flags & MessageFlags.RESEND) !== 0 || !this.core.ids.pushable(id) || s.deferredPushes > 0 || s.storeFailed;
    const rec = new SendRecord(
      this,
      s,
      reply,
      id,
      from,
      to,
      clientId,
      kept,
      sentAt,
      padded ? padded.subarray(0, content.length) : Buffer.from(content, 'latin1'),
      sentAt - this.core.limits.dedupWindowMs,
      req,
      padded,
      deferred,
    );
    // A recipient not online here may be online on another node: the commit wakes them.
    if (this.core.shared !== undefined && !this.core.online.has(to)) rec.wake = s.username!;
    if (deferred) s.deferredPushes++;
    const recipient = deferred ? undefined : this.core.online.get(to);
    if (recipient !== undefined) {
      rec.pushed = true;
      this.push(rec);
    }
    rec.seq = this.core.queue.add(rec, rec, recipient === undefined ? 0 : this.holdFor(recipient));
    this.pending.set(id, rec);
  }

  /** Pushes a Send to its recipient's session here, if it has one. */
  private push(rec: SendRecord): void {
    const { id, clientId, flags, sentAt, req, padded } = rec;
    this.pushMessage(rec.recipientId, { type: 'Message', id, sender: rec.session.username!, clientId, flags, sentAt, content: req.content }, padded);
  }

  /**
   * How long a message pushed to `recipient` waits for its Ack before it is written: twice what the
   * recipient has lately taken to acknowledge, within [ackWaitMs, ackWaitMaxMs]. A recipient reading
   * a busy stream acknowledges late; waiting for it saves writing what it is about to acknowledge.
   */
  private holdFor(recipient: Session): number {
    const { ackWaitMs, ackWaitMaxMs } = this.core.limits;
    if (ackWaitMs === 0) return 0;
    return Math.min(ackWaitMaxMs, Math.max(ackWaitMs, 2 * recipient.ackDelayMs));
  }

  /** The recipient's account id; the Send's shape is checked on the way. */
  private recipientOf(req: SendRequest): number {
    if (req.content.length === 0) throw new ServiceError('INVALID_ARGUMENT', 'message is empty');
    if ((req.flags & ~SEND_FLAGS) !== 0) {
      throw new ServiceError(
        'INVALID_ARGUMENT',
        `flags ${req.flags}: only UTF7 (${MessageFlags.UTF7}), RESEND (${MessageFlags.RESEND}) and ACTION (${MessageFlags.ACTION}) may be set`,
      );
    }
    const to = this.core.directory.get(req.recipient);
    if (to === undefined) throw new ServiceError('NO_SUCH_USER', `no user named ${req.recipient}`);
    return to;
  }

  /**
   * The recipient's mailbox count, if the Send fits in it: one lookup, no allocation once it has had
   * a message. With a store several nodes share, the database checks the cap (a node's count does
   * not see the others' Sends), so this one does not.
   */
  private mailbox(to: number, req: SendRequest): QueueSize {
    const { queued, limits } = this.core;
    let q = queued.get(to);
    if (q === undefined) queued.set(to, (q = { n: 0, bytes: 0 }));
    if (this.core.shared === undefined && (q.n >= limits.maxQueue || q.bytes + req.content.length > limits.maxQueueBytes)) {
      throw new ServiceError('MAILBOX_FULL', `${req.recipient}'s mailbox is full`);
    }
    return q;
  }

  /** A Send's commit (or its cancellation by an early Ack) is known: answer it. */
  stored(op: SendRecord, r: OpResult): void {
    const { session: s, reply } = op;
    const recipient = op.req.recipient;
    this.pending.delete(op.id);
    if (op.deferred) s.deferredPushes--;
    s.storeFailed = !r.ok;
    if (!r.ok) {
      this.unqueue(op.recipientId, 1, op.content.length);
      this.core.log.error({ err: r.error, session: s.id }, 'storing a message failed');
      reply(storageError(r.error));
      return;
    }
    const v = r.value as InsertResult;
    if (v.stored) {
      if (op.deferred) this.push(op);
      reply({ type: 'Accepted', messageId: op.id });
      return;
    }
    this.unqueue(op.recipientId, 1, op.content.length);
    if ('duplicateOf' in v) reply({ type: 'Accepted', messageId: v.duplicateOf });
    else if ('full' in v) reply(errorResponse('MAILBOX_FULL', `${recipient}'s mailbox is full`));
    else if ('reused' in v) reply(errorResponse('CLIENT_ID_REUSED', `client id ${op.clientId} was already used for another message`));
    else reply(errorResponse('NO_SUCH_USER', `no user named ${recipient}`));
  }

  private pushMessage(to: number, msg: MessagePush, padded: Buffer | undefined): void {
    const session = this.core.online.get(to);
    if (!session) return;
    session.delivered.add(msg.id);
    if (session.timedPushId === 0) {
      session.timedPushId = msg.id;
      session.timedPushAt = msg.sentAt;
    }
    session.sink.push(msg, padded ? { content: padded } : undefined);
  }

  /** Cumulative acknowledgement: every message delivered to this session with id <= upTo leaves the queue. */
  ack(s: Session, upTo: number, reply: Reply): void {
    const me = accountOf(s);
    const gone: number[] = [];
    const unwritten: Receipt[] = [];
    if (s.timedPushId !== 0 && upTo >= s.timedPushId) {
      // What the session takes to acknowledge now: the wait of the next messages pushed to it.
      s.ackDelayMs = 0.8 * s.ackDelayMs + 0.2 * (Date.now() - s.timedPushAt);
      s.timedPushId = 0;
    }
    for (const id of s.delivered.takeUpTo(upTo)) {
      const p = this.pending.get(id);
      // Delivered and acknowledged before it reached the store: it need not be written at all, and
      // its sender may hear Accepted now.
      if (p !== undefined && this.core.queue.cancel(p.seq, DELIVERED)) {
        this.unqueue(me, 1, p.content.length);
        if (p.clientId !== 0) this.deliveredUnwritten.add(p.senderId, p.clientId, id, me);
        unwritten.push({ id, senderId: p.senderId });
      } else gone.push(id);
    }
    const answer = this.withGroupPart(s, me, gone, reply);
    if (gone.length === 0) {
      this.receipts(unwritten);
      answer({ type: 'Ok' });
      return;
    }
    this.core.queue.add({ op: 'ack', recipientId: me, ids: gone }, (r) => {
      // One receipt per sender for the whole Ack: those not written and those the store removed.
      if (r.ok) {
        const v = r.value as { receipts: Receipt[]; bytes: number };
        this.receipts(unwritten.concat(v.receipts));
        this.unqueue(me, v.receipts.length, v.bytes);
        answer({ type: 'Ok' });
      } else {
        this.receipts(unwritten);
        // Not removed: they count as delivered again, so a repeated Ack retries them.
        if (s.accountId === me) for (const id of gone) s.delivered.add(id);
        this.core.log.error({ err: r.error, session: s.id }, 'ack failed');
        answer(storageError(r.error));
      }
    });
  }

  /** Up to `max` waiting messages (0 or too many means the page cap), oldest first. */
  fetch(s: Session, max: number, reply: Reply): void {
    const me = accountOf(s);
    const cap = this.core.limits.maxFetch;
    const n = max === 0 || max > cap ? cap : max;
    this.core.queue.add({ op: 'fetch', recipientId: me, max: n }, (r) => {
      if (!r.ok) {
        this.core.log.error({ err: r.error, session: s.id }, 'fetch failed');
        reply(storageError(r.error));
        return;
      }
      const v = r.value as { messages: StoredMessage[]; remaining: number };
      if (s.accountId === me) for (const m of v.messages) handedOver(s, m);
      reply(batchOf(v.remaining, v.messages));
    });
  }

  /** Delivery receipts: one Delivered per sender with all its ids; an offline sender's are kept for its next Login. */
  private receipts(gone: readonly Receipt[]): void {
    if (gone.length === 0) return;
    const bySender = new Map<number, number[]>();
    for (const r of gone) {
      if (r.handled) continue;
      const ids = bySender.get(r.senderId);
      if (ids) ids.push(r.id);
      else bySender.set(r.senderId, [r.id]);
    }
    const offline: Receipt[] = [];
    for (const [senderId, ids] of bySender) {
      if (this.core.online.has(senderId)) this.sendReceipts({ senderId, ids });
      else for (const id of ids) offline.push({ id, senderId });
    }
    if (offline.length === 0) return;
    this.core.queue.add({ op: 'addReceipts', receipts: offline }, (r) => {
      if (!r.ok) this.core.log.error({ err: r.error }, 'keeping receipts failed');
    });
  }

  /** Pushes a sender's receipts to its live session (kept again if it has none), a frame per MAX_RECEIPTS ids. */
  sendReceipts(r: { senderId: number; ids: number[] }): void {
    if (r.ids.length === 0) return;
    const session = this.core.online.get(r.senderId);
    if (!session) {
      this.receipts(r.ids.map((id) => ({ id, senderId: r.senderId })));
      return;
    }
    for (let i = 0; i < r.ids.length; i += MAX_RECEIPTS) session.sink.push({ type: 'Delivered', ids: r.ids.slice(i, i + MAX_RECEIPTS) });
  }

  /** Messages that left (or never reached) a recipient's queue. */
  private unqueue(to: number, n: number, bytes: number): void {
    const q = this.core.queued.get(to);
    if (q === undefined) return;
    q.n = Math.max(0, q.n - n);
    q.bytes = Math.max(0, q.bytes - bytes);
  }

  /** An Ack's group messages go to groups.ts (out of `ids`, before the rest); its answer then waits for them too. */
  private withGroupPart(s: Session, me: number, ids: number[], reply: Reply): Reply {
    const part = this.groupAck?.(s, me, ids);
    if (part === undefined) return reply;
    return (r, after) => part.whenDone((failed) => reply(failed ?? r, after));
  }
}

/** A stored message as the wire carries it (a deleted sender is a flag bit). */
export function toWire(m: StoredMessage): ChatMessageOut {
  return {
    id: m.id,
    sender: m.senderName,
    clientId: m.clientId,
    flags: (m.flags & ~MessageFlags.SENDER_DELETED) | (m.senderDeleted ? MessageFlags.SENDER_DELETED : 0),
    sentAt: m.sentAt,
    content: m.content,
  };
}

/** A stored message as a push: a Message, or a GroupMessage for one sent to a group. */
export function toPush(m: StoredMessage): Push {
  return m.group === undefined ? { type: 'Message', ...toWire(m) } : { type: 'GroupMessage', group: m.group, ...toWire(m) };
}

/** Acknowledges the group messages among an Ack's ids (taking them out of `ids`); undefined when there were none. */
export type GroupAck = (s: Session, me: number, ids: number[]) => { whenDone(f: (failed: Response | undefined) => void): void } | undefined;

/** Records that a fetched message was handed to the session (a group message as one: its Ack goes to groups.ts). */
function handedOver(s: Session, m: StoredMessage): void {
  s.delivered.add(m.id);
  if (m.group !== undefined) noteGroupMessage(s, m.id);
}

/** A FetchUndelivered answer: MessageBatch, or GroupMessageBatch when the page holds a group message. */
function batchOf(remaining: number, messages: StoredMessage[]): Response {
  if (!messages.some((m) => m.group !== undefined)) return { type: 'MessageBatch', remaining, messages: messages.map(toWire) };
  return { type: 'GroupMessageBatch', remaining, messages: messages.map((m) => ({ group: m.group ?? '', ...toWire(m) })) };
}
