/**
 * Messages sent to a group: Send to `#name`, the push to its members, and their Acks. A group
 * message is stored once (groupOps.ts) and pushed, once its commit is durable, to every member
 * online on this node (other nodes are woken once per batch by the store and push to theirs). The
 * members the store names at commit are the recipients, so a member that left or was kicked before
 * gets nothing, and one pushed the message had it in the group. Resends and clientId reuse are
 * settled by the store before anything is pushed: a repeat is never pushed twice.
 */
import { encode, fieldSpan, type Push, type Response } from '../protocol/codec.js';
import { GROUP_RE, MessageFlags, SEND_FLAGS } from '../protocol/schema.js';
import type { GroupReceipts } from './groupReceipts.js';
import {
  accountOf,
  errorResponse,
  noteGroupMessage,
  ServiceError,
  storageError,
  toErrorResponse,
  type Core,
  type Reply,
  type SendRequest,
  type Session,
} from './session.js';
import type { GroupAcked, GroupInsertOp, GroupInsertResult } from './store/groupOps.js';
import type { OpResult } from './store/store.js';

/** Where a Send body keeps its content: pushed to the members as it is. */
const CONTENT = fieldSpan('Send', 'content');

type GroupMessagePush = Extract<Push, { type: 'GroupMessage' }>;

/** The answer of an Ack's group part, once its commit is known (undefined: it went well). */
export class AckPart {
  private result: { failed: Response | undefined } | undefined;
  private waiting: Array<(failed: Response | undefined) => void> = [];

  /** Runs `f` once the group part is committed (at once if it is). */
  whenDone(f: (failed: Response | undefined) => void): void {
    if (this.result) f(this.result.failed);
    else this.waiting.push(f);
  }

  settle(failed: Response | undefined): void {
    this.result = { failed };
    for (const f of this.waiting.splice(0)) f(failed);
  }
}

export class GroupMessages {
  /** Shared store: a session's group Sends waiting, in order, for a block of message ids. */
  private readonly backlog = new WeakMap<Session, Array<{ go: () => void; reply: Reply }>>();

  constructor(
    private readonly core: Core,
    private readonly receipts: GroupReceipts,
  ) {}

  /** Send to `#name`: stored once, then pushed to the members online; Accepted once durable. */
  send(s: Session, req: SendRequest, reply: Reply, body: Buffer | undefined): void {
    accountOf(s);
    if (req.content.length === 0) throw new ServiceError('INVALID_ARGUMENT', 'message is empty');
    if ((req.flags & ~SEND_FLAGS) !== 0) {
      throw new ServiceError('INVALID_ARGUMENT', `flags ${req.flags}: only UTF7 (${MessageFlags.UTF7}) and RESEND (${MessageFlags.RESEND}) may be set`);
    }
    if (!GROUP_RE.test(req.recipient)) throw new ServiceError('NO_SUCH_GROUP', `no group named ${req.recipient}`);
    const waiting = this.backlog.get(s);
    if (waiting === undefined && this.core.ids.ready()) {
      this.sendNow(s, req, reply, body);
      return;
    }
    // A shared store between two blocks of ids: this Send, and the session's later ones, wait for the next.
    const go = () => {
      try {
        this.sendNow(s, req, reply, body);
      } catch (err) {
        reply(toErrorResponse(this.core.log, s, req, err));
      }
    };
    if (waiting !== undefined) {
      waiting.push({ go, reply });
      return;
    }
    const list = [{ go, reply }];
    this.backlog.set(s, list);
    const drain = (): void => {
      this.core.ids.wait().then(
        () => {
          while (list.length > 0 && this.core.ids.ready()) list.shift()!.go();
          if (list.length > 0) drain();
          else this.backlog.delete(s);
        },
        (err: unknown) => {
          this.backlog.delete(s);
          const failed = storageError((err as Error).message);
          for (const w of list.splice(0)) w.reply(failed);
        },
      );
    };
    drain();
  }

  private sendNow(s: Session, req: SendRequest, reply: Reply, body: Buffer | undefined): void {
    const from = accountOf(s);
    const id = this.core.ids.take();
    if (id === undefined) throw new ServiceError('INTERNAL', 'message ids are exhausted');
    const sentAt = Date.now();
    const { limits } = this.core;
    const op: GroupInsertOp = {
      op: 'groupInsert',
      id,
      group: req.recipient,
      senderId: from,
      sender: s.username!,
      clientId: req.clientId,
      flags: req.flags & ~MessageFlags.RESEND,
      sentAt,
      content: req.content,
      dedupSince: sentAt - limits.dedupWindowMs,
      maxQueue: limits.maxQueue,
      maxQueueBytes: limits.maxQueueBytes,
    };
    const padded = body?.subarray(CONTENT.at, CONTENT.at + CONTENT.size);
    this.core.queue.add(op, (r) => this.stored(op, r, reply, padded));
  }

  /** A group Send's commit is known: push it to the members online here, then answer. */
  private stored(op: GroupInsertOp, r: OpResult, reply: Reply, padded: Buffer | undefined): void {
    if (!r.ok) {
      this.core.log.error({ err: r.error, group: op.group }, 'storing a group message failed');
      reply(storageError(r.error));
      return;
    }
    const v = r.value as GroupInsertResult;
    if (v.stored) {
      const msg: GroupMessagePush = {
        type: 'GroupMessage',
        group: op.group,
        id: op.id,
        sender: op.sender,
        clientId: op.clientId,
        flags: op.flags,
        sentAt: op.sentAt,
        content: op.content,
      };
      const raw = padded ? { content: padded } : undefined;
      const { online } = this.core;
      // Encoded once for every member whose transport writes frames.
      let frame: Buffer | undefined;
      for (const to of v.recipients) {
        const session = online.get(to);
        if (session === undefined) continue;
        if (session.sink.pushFrame === undefined) {
          this.push(session, msg, raw);
          continue;
        }
        session.delivered.add(msg.id);
        noteGroupMessage(session, msg.id);
        session.sink.pushFrame((frame ??= encode(msg, 0, raw)));
      }
      this.receipts.track(op.id, op.senderId, op.group, v.recipients.length);
      reply({ type: 'Accepted', messageId: op.id });
      return;
    }
    if ('duplicateOf' in v) reply({ type: 'Accepted', messageId: v.duplicateOf });
    else if ('reused' in v) reply(errorResponse('CLIENT_ID_REUSED', `client id ${op.clientId} was already used for another message`));
    else if (v.refused === 'noSuchGroup') reply(errorResponse('NO_SUCH_GROUP', `no group named ${op.group}`));
    else if (v.refused === 'notMember') reply(errorResponse('NOT_A_MEMBER', `you are not a member of ${op.group}`));
    else reply(errorResponse('MAILBOX_FULL', `${op.group} is full: its slowest member has too many of its messages waiting`));
  }

  /** Pushes a group message to the session of one of its recipients (a transport that takes no frames). */
  private push(session: Session, msg: GroupMessagePush, raw?: { content: Buffer }): void {
    session.delivered.add(msg.id);
    noteGroupMessage(session, msg.id);
    session.sink.push(msg, raw);
  }

  /**
   * An Ack's group part: takes the group messages out of `ids` (in place; the rest are one-to-one)
   * and acknowledges them; undefined when there were none. Queued before the one-to-one part, so it
   * commits first (or in the same batch).
   */
  ack(s: Session, me: number, ids: number[]): AckPart | undefined {
    const mine = s.groupDelivered;
    if (mine === undefined || mine.size === 0 || ids.length === 0) return undefined;
    // Both sorted: the group ids up to the Ack's last are taken, and those of them it covers split off.
    const group = mine.takeUpTo(ids[ids.length - 1]!);
    const taken: number[] = [];
    let kept = 0;
    let j = 0;
    for (const id of ids) {
      while (j < group.length && group[j]! < id) j++;
      if (j < group.length && group[j] === id) taken.push(id);
      else ids[kept++] = id;
    }
    ids.length = kept;
    if (taken.length === 0) return undefined;
    const part = new AckPart();
    this.core.queue.add({ op: 'groupAck', accountId: me, ids: taken }, (r) => {
      if (r.ok) {
        this.receipts.acked((r.value as { acked: GroupAcked[] }).acked.map((a) => a.id));
        part.settle(undefined);
        return;
      }
      // Not acknowledged: they count as delivered again, so a repeated Ack retries them.
      if (s.accountId === me) for (const id of taken) this.redeliver(s, id);
      this.core.log.error({ err: r.error, session: s.id }, 'group ack failed');
      part.settle(storageError(r.error));
    });
    return part;
  }

  /** An id whose Ack failed is the session's again, as before it. */
  private redeliver(s: Session, id: number): void {
    s.delivered.add(id);
    noteGroupMessage(s, id);
  }
}
