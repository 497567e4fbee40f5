/**
 * One connection's request pipeline, without the socket: frames in, answers out in request order.
 *
 * Requests are started in order. A connection may have at most `maxInflight` requests unanswered
 * and `maxAnswerBytes` of answers pending (the most its unanswered requests can answer, plus what
 * the socket has not taken yet); past either, and after `turnBudget` requests in one event-loop
 * turn, the pipeline stops and tells its host to stop reading the peer, then goes on later. So no
 * connection can grow the server's memory or starve the others. A request the service says must
 * finish first (it changes who the session is, or hashes a password) holds back the ones after it.
 */
import { layout, type Request, type Response } from '../../protocol/codec.js';
import { ProtocolError } from '../../protocol/errors.js';
import { HEADER_SIZE, type Frame } from '../../protocol/framing.js';
import { MAX_WATCH } from '../../protocol/schema.js';
import { MessageReader } from '../../protocol/messageReader.js';
import { errorResponse } from '../session.js';
import type { AnswerBudget, BudgetMember } from './answerBudget.js';

export interface PipelineLimits {
  /** Requests of one connection read and not yet answered. */
  maxInflight: number;
  /**
   * Answer bytes one connection may have pending: the most its unanswered requests can answer
   * (a Fetch counts as the full batch it may return) plus what the kernel has not taken yet.
   */
  maxAnswerBytes: number;
  /** Requests one connection may start in one event-loop turn before the others get theirs. */
  turnBudget: number;
}

export const DEFAULT_LIMITS: PipelineLimits = { maxInflight: 1024, maxAnswerBytes: 1 << 20, turnBudget: 128 };

/** What a pipeline needs from its connection and the service. */
export interface PipelineHost {
  /** Starts a request; `reply` answers it once (`after` runs once that answer is written). True: the requests after it wait for that answer. */
  handle(req: Request, reply: (r: Response, after?: () => void) => void, body: Buffer): boolean;
  /** Writes an answer frame (in request order). */
  write(answer: Response, requestId: number): void;
  /** Answer bytes written and not yet taken by the peer's socket. */
  unsentBytes(): number;
  /** Stop / go on reading the peer. */
  pause(): void;
  resume(): void;
  /** A frame that is not a request this end takes (it gets an Error answer). */
  complain(e: ProtocolError): void;
}

/** Largest pages the service answers, which bound the answers of a Fetch and a ListAccounts. */
export interface AnswerCaps {
  maxFetch: number;
  maxListLimit: number;
}

/** Frame sizes of the answers whose size depends on the request, from the schema. */
const frameOf = (name: 'MessageBatch' | 'GroupMessageBatch' | 'AccountList' | 'Presence' | 'GroupList' | 'MemberList') => {
  const l = layout(name);
  return { fixed: HEADER_SIZE + l.fixed, item: l.list!.itemSize };
};
/** A Fetch answers a MessageBatch or, when the page holds a group message, a GroupMessageBatch (the larger). */
const BATCH = [frameOf('MessageBatch'), frameOf('GroupMessageBatch')].reduce((a, b) => (b.item > a.item ? b : a));
const GROUPS = frameOf('GroupList');
const MEMBERS = frameOf('MemberList');
const LIST = frameOf('AccountList');
const PRESENCE = frameOf('Presence');
/** Every other answer (Error is the largest) fits in this. */
const SMALL_ANSWER = HEADER_SIZE + layout('Error').fixed;

/**
 * The most answer bytes `req` can produce (a whole frame), so the pipeline can bound what a
 * connection's requests in flight may make it hold: a Fetch of 200 can answer 100 KiB, a Ping 9 bytes.
 */
export function answerBound(req: Request, caps: AnswerCaps): number {
  switch (req.type) {
    case 'FetchUndelivered':
      return BATCH.fixed + (req.max === 0 || req.max > caps.maxFetch ? caps.maxFetch : req.max) * BATCH.item;
    case 'ListAccounts':
      return LIST.fixed + (req.limit === 0 || req.limit > caps.maxListLimit ? caps.maxListLimit : req.limit) * LIST.item;
    case 'ListGroups':
      return Math.max(SMALL_ANSWER, GROUPS.fixed + (req.limit === 0 || req.limit > caps.maxListLimit ? caps.maxListLimit : req.limit) * GROUPS.item);
    case 'ListMembers':
      return Math.max(SMALL_ANSWER, MEMBERS.fixed + (req.limit === 0 || req.limit > caps.maxListLimit ? caps.maxListLimit : req.limit) * MEMBERS.item);
    case 'Watch':
      return Math.max(SMALL_ANSWER, PRESENCE.fixed + Math.min(req.names.length, MAX_WATCH) * PRESENCE.item);
    default:
      return SMALL_ANSWER;
  }
}

/**
 * Requests all connections together may start in one event-loop turn. The rest wait for the next
 * turn, so a turn stays short (timers and other sockets are not held up for long) however many
 * connections are busy.
 */
export class Turns {
  private left: number;
  private resetting = false;

  constructor(
    private readonly total = 512,
    /** How the next turn is awaited (tests step it by hand). */
    private readonly nextTurn: (fn: () => void) => void = setImmediate,
  ) {
    this.left = total;
  }

  /** Takes one request's share of this turn; false when the turn is used up. */
  take(): boolean {
    if (!this.resetting) {
      this.resetting = true;
      this.nextTurn(() => {
        this.left = this.total;
        this.resetting = false;
      });
    }
    if (this.left <= 0) return false;
    this.left--;
    return true;
  }
}

/** The turns every connection of this process shares. */
export const SHARED_TURNS = new Turns();

/** An answer slot: filled when the service replies, written when every earlier one was. */
interface Slot {
  requestId: number;
  answer: Response | undefined;
  /** Answer bytes reserved for it until it is written. */
  bound: number;
  /** What must follow the answer (pushes that may not overtake it). */
  after: (() => void) | undefined;
}

export class RequestPipeline implements BudgetMember {
  private readonly reader = new MessageReader(['request']);
  /** Frames read and not yet started. */
  private frames: Frame[] = [];
  private next = 0;
  /** Started requests, oldest first; answers leave from the front. */
  private readonly slots: Slot[] = [];
  private slotHead = 0;
  /** Sum of the bounds of the unwritten answers. */
  private reserved = 0;
  /** A request that must finish before the next starts (Login, Register, DeleteAccount). */
  private barrier: Slot | undefined;
  private paused = false;
  /** Reading has stopped for good (shutdown or a dead connection). */
  private stopped = false;
  private closed = false;
  private resumeScheduled = false;
  /** Frames read so far (a frame completed since the last look: the frame timer starts again). */
  framesRead = 0;

  constructor(
    private readonly host: PipelineHost,
    private readonly limits: PipelineLimits,
    private readonly caps: AnswerCaps,
    private readonly turns: Turns = SHARED_TURNS,
    private readonly later: (fn: () => void) => void = setImmediate,
    /** The server-wide budget this connection shares with the others, if any. */
    private readonly budget?: AnswerBudget,
  ) {
    budget?.join(this);
  }

  /** Answer bytes this connection holds: reserved for its requests in flight plus unsent. */
  heldBytes(): number {
    return this.reserved + this.host.unsentBytes();
  }

  /** The server-wide budget let this connection go on. */
  resume(): void {
    this.pump();
  }

  /** Requests started and not yet answered. */
  get inflight(): number {
    return this.slots.length - this.slotHead;
  }

  /** Whether frames were read that have not been started yet. */
  get waiting(): boolean {
    return this.next < this.frames.length;
  }

  /** Bytes of a frame the peer has begun and not finished. */
  get partialBytes(): number {
    return this.reader.partialBytes;
  }

  /** Answer bytes reserved for the requests in flight. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /**
   * Takes a chunk of the peer's bytes and starts what the limits allow. A stream that cannot be
   * resynced gives its ProtocolError: the connection must then close.
   */
  data(chunk: Buffer): ProtocolError | undefined {
    if (this.closed) return undefined;
    const frames = this.reader.frames(chunk);
    if (frames instanceof ProtocolError) return frames;
    if (frames.length === 0) return undefined;
    this.framesRead += frames.length;
    if (this.next === this.frames.length) {
      this.frames = frames;
      this.next = 0;
    } else {
      for (const f of frames) this.frames.push(f);
    }
    this.pump();
    return undefined;
  }

  /** Starts as many waiting requests as the limits allow; pauses reading when it has to stop. */
  pump(): void {
    let budget = this.limits.turnBudget;
    while (this.next < this.frames.length && !this.closed) {
      if (this.barrier || this.overLimits()) break;
      if (budget-- === 0 || !this.turns.take()) {
        // Fair turns: the rest of this connection's requests wait for the next turn.
        this.scheduleResume();
        break;
      }
      this.start(this.frames[this.next++]!);
    }
    if (this.next === this.frames.length) {
      this.frames = [];
      this.next = 0;
    }
    const blocked = this.next < this.frames.length;
    if (blocked && !this.paused) {
      this.paused = true;
      this.host.pause();
    } else if (!blocked && this.paused && !this.stopped) {
      this.paused = false;
      this.host.resume();
    }
  }

  /** At shutdown: read nothing more from the peer (what it sent and was not read was never a request). */
  stopReading(): void {
    this.stopped = true;
    this.paused = true;
    this.host.pause();
  }

  /**
   * At shutdown, once the service refuses new work: starts every request already read and not yet
   * started, so each gets its answer (SHUTTING_DOWN) in order.
   */
  answerTheRest(): void {
    while (this.next < this.frames.length && !this.closed) this.start(this.frames[this.next++]!);
    this.frames = [];
    this.next = 0;
  }

  /** The connection is gone: start nothing more. */
  close(): void {
    this.closed = true;
    this.budget?.leave(this);
  }

  private overLimits(): boolean {
    if (this.inflight >= this.limits.maxInflight) return true;
    const held = this.heldBytes();
    return held >= this.limits.maxAnswerBytes || (this.budget !== undefined && !this.budget.mayStart(this, held));
  }

  /** Goes on with waiting requests on the next turn (after the socket took our output, say). */
  resumeSoon(): void {
    if (this.waiting) this.scheduleResume();
  }

  private scheduleResume(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    this.later(() => {
      this.resumeScheduled = false;
      this.pump();
    });
  }

  private start(f: Frame): void {
    const slot: Slot = { requestId: f.requestId, answer: undefined, bound: 0, after: undefined };
    this.slots.push(slot);
    const msg = this.reader.message(f);
    if (msg instanceof ProtocolError) {
      this.host.complain(msg);
      this.answer(slot, errorResponse(msg.code, msg.message));
      return;
    }
    const req = msg as Request;
    slot.bound = answerBound(req, this.caps);
    this.reserved += slot.bound;
    this.budget?.reserved(slot.bound);
    const waits = this.host.handle(req, (r, after) => this.answer(slot, r, after), f.body);
    if (waits && slot.answer === undefined && !this.closed) this.barrier = slot;
  }

  /** Fills a slot and writes every answer that is now at the front, in request order. */
  private answer(slot: Slot, r: Response, after?: () => void): void {
    slot.answer = r;
    slot.after = after;
    if (this.slots[this.slotHead] !== slot) return;
    while (this.slotHead < this.slots.length) {
      const s = this.slots[this.slotHead]!;
      if (s.answer === undefined) break;
      this.slotHead++;
      this.reserved -= s.bound;
      this.host.write(s.answer, s.requestId);
      s.after?.();
    }
    if (this.slotHead === this.slots.length) {
      this.slots.length = 0;
      this.slotHead = 0;
    } else if (this.slotHead > 1024) {
      this.slots.splice(0, this.slotHead);
      this.slotHead = 0;
    }
    if (this.barrier && this.barrier.answer !== undefined) this.barrier = undefined;
    this.budget?.released();
    if (this.next < this.frames.length) this.scheduleResume();
  }
}
