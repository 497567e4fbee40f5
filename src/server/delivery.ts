/**
 * Delivery: Send, the live push, Ack, Fetch and the delivery receipts. The hot path is synchronous:
 * a Send is checked against the in-memory directory and mailbox counts, gets its id from a counter,
 * is pushed to an online recipient at once and queued for the next group commit; its Accepted goes
 * out when that commit is durable. A message leaves its recipient's queue only on the recipient's Ack.
 */
import { fieldSpan, layout, type Push, type Response } from '../protocol/codec.js';
import { FifoMap } from '../protocol/fifoMap.js';
import { DEFAULT_MAX_BODY } from '../protocol/framing.js';
import { LIST_MAX_ITEMS } from '../protocol/fields.js';
import { MessageFlags, SEND_FLAGS } from '../protocol/schema.js';
import { SendGate } from './sendGate.js';
import {
  accountOf,
  errorResponse,
  ServiceError,
  storageError,
  toErrorResponse,
  type Core,
  type QueueSize,
  type Reply,
  type SendRequest,
  type Session,
} from './session.js';
import type { InsertOp, InsertResult, OpResult, Receipt, StoredMessage } from './store/store.js';

/** Where a Send body keeps its content: relayed to the recipient as it is. */
const CONTENT = fieldSpan('Send', 'content');

/** Most ids in one Delivered push: its frame stays under the size limit a client accepts by default. */
export const MAX_RECEIPTS = Math.min(LIST_MAX_ITEMS, Math.floor((DEFAULT_MAX_BODY - layout('Delivered').fixed) / layout('Delivered').list!.itemSize));

/** How many of the Sends delivered before they were written are remembered for a resend (a process's memory; a restart forgets them). */
export const RECENT_UNWRITTEN = 100_000;

type MessagePush = Extract<Push, { type: 'Message' }>;
type ChatMessageOut = Extract<Response, { type: 'MessageBatch' }>['messages'][number];

/** A Send queued for the store and not yet committed. */
interface PendingSend {
  op: InsertOp;
  seq: number;
}

/** What delivered and acknowledged before it reached the store counts as. */
const DELIVERED: OpResult = { ok: true, value: { stored: true } satisfies InsertResult };

/** One number per (sender, clientId) while account ids fit in 21 bits (exact in a double), else a string. */
function sendKey(sender: number, clientId: number): number | string {
  return sender < 0x200000 ? sender * 0x100000000 + clientId : `${sender}:${clientId}`;
}

export class Delivery {
  private readonly pending = new Map<number, PendingSend>();
  /** (sender, clientId) of recent Sends delivered and acknowledged before they were written, for resends. */
  private readonly deliveredUnwritten = new FifoMap<number | string, { id: number; recipientId: number }>(RECENT_UNWRITTEN);
  /** Shared store: where Sends wait for what only the database knows. */
  private readonly gate: SendGate | undefined;

  constructor(private readonly core: Core) {
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
      const earlier = this.deliveredUnwritten.get(sendKey(from, clientId));
      if (earlier !== undefined && earlier.recipientId === to) {
        reply({ type: 'Accepted', messageId: earlier.id });
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
    const op: InsertOp = {
      op: 'insert',
      id,
      senderId: from,
      recipientId: to,
      clientId,
      flags: kept,
      sentAt,
      content: padded ? padded.subarray(0, content.length) : Buffer.from(content, 'latin1'),
      dedupSince: sentAt - this.core.limits.dedupWindowMs,
    };
    const sender = s.username!;
    // A recipient not online here may be online on another node: the commit wakes them.
    if (this.core.shared !== undefined && !this.core.online.has(to)) op.wake = sender;
    const push = () => this.pushMessage(to, { type: 'Message', id, sender, clientId, flags: kept, sentAt, content }, padded);
    // Pushed after the commit instead: a resend (the store says whether it is a repeat), or an id
    // whose reservation is not durable yet.
    const pushLater = (flags & MessageFlags.RESEND) !== 0 || !this.core.ids.pushable(id);
    const pushed = !pushLater && this.core.online.has(to);
    if (pushed) push();
    const seq = this.core.queue.add(
      op,
      (r) => this.stored(s, op, r, reply, pushLater ? push : undefined, req.recipient),
      pushed ? this.core.limits.ackWaitMs : 0,
    );
    this.pending.set(id, { op, seq });
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

  /** The recipient's mailbox count, if the Send fits in it: one lookup, no allocation once it has had a message. */
  private mailbox(to: number, req: SendRequest): QueueSize {
    const { queued, limits } = this.core;
    let q = queued.get(to);
    if (q === undefined) queued.set(to, (q = { n: 0, bytes: 0 }));
    if (q.n >= limits.maxQueue || q.bytes + req.content.length > limits.maxQueueBytes) {
      throw new ServiceError('MAILBOX_FULL', `${req.recipient}'s mailbox is full`);
    }
    return q;
  }

  /** A Send's commit (or its cancellation by an early Ack) is known: answer it. */
  private stored(s: Session, op: InsertOp, r: OpResult, reply: Reply, pushNow: (() => void) | undefined, recipient: string): void {
    this.pending.delete(op.id);
    if (!r.ok) {
      this.unqueue(op.recipientId, 1, op.content.length);
      this.core.log.error({ err: r.error, session: s.id }, 'storing a message failed');
      reply(storageError(r.error));
      return;
    }
    const v = r.value as InsertResult;
    if (v.stored) {
      pushNow?.();
      reply({ type: 'Accepted', messageId: op.id });
      return;
    }
    this.unqueue(op.recipientId, 1, op.content.length);
    if ('duplicateOf' in v) reply({ type: 'Accepted', messageId: v.duplicateOf });
    else if ('reused' in v) reply(errorResponse('CLIENT_ID_REUSED', `client id ${op.clientId} was already used for another message`));
    else reply(errorResponse('NO_SUCH_USER', `no user named ${recipient}`));
  }

  private pushMessage(to: number, msg: MessagePush, padded: Buffer | undefined): void {
    const session = this.core.online.get(to);
    if (!session) return;
    session.delivered.add(msg.id);
    session.sink.push(msg, padded ? { content: padded } : undefined);
  }

  /** Cumulative acknowledgement: every message delivered to this session with id <= upTo leaves the queue. */
  ack(s: Session, upTo: number, reply: Reply): void {
    const me = accountOf(s);
    const gone: number[] = [];
    const unwritten: Receipt[] = [];
    for (const id of s.delivered.takeUpTo(upTo)) {
      const p = this.pending.get(id);
      // Delivered and acknowledged before it reached the store: it need not be written at all, and
      // its sender may hear Accepted now.
      if (p !== undefined && this.core.queue.cancel(p.seq, DELIVERED)) {
        this.unqueue(me, 1, p.op.content.length);
        if (p.op.clientId !== 0) this.deliveredUnwritten.set(sendKey(p.op.senderId, p.op.clientId), { id, recipientId: me });
        unwritten.push({ id, senderId: p.op.senderId });
      } else gone.push(id);
    }
    if (gone.length === 0) {
      this.receipts(unwritten);
      reply({ type: 'Ok' });
      return;
    }
    this.core.queue.add({ op: 'ack', recipientId: me, ids: gone }, (r) => {
      // One receipt per sender for the whole Ack: those not written and those the store removed.
      if (r.ok) {
        const v = r.value as { receipts: Receipt[]; bytes: number };
        this.receipts(unwritten.concat(v.receipts));
        this.unqueue(me, v.receipts.length, v.bytes);
        reply({ type: 'Ok' });
      } else {
        this.receipts(unwritten);
        // Not removed: they count as delivered again, so a repeated Ack retries them.
        if (s.accountId === me) for (const id of gone) s.delivered.add(id);
        this.core.log.error({ err: r.error, session: s.id }, 'ack failed');
        reply(storageError(r.error));
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
      if (s.accountId === me) for (const m of v.messages) s.delivered.add(m.id);
      reply({ type: 'MessageBatch', remaining: v.remaining, messages: v.messages.map(toWire) });
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

/** A stored message as a Message push. */
export function toPush(m: StoredMessage): MessagePush {
  return { type: 'Message', ...toWire(m) };
}
