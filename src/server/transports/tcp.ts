/**
 * The TCP transport: one Session per socket. Bytes -> frames -> typed requests -> ChatService, and
 * responses (same request id) and pushes (request id 0) back.
 *
 * Each connection is a bounded pipeline. Requests are taken in order; answers leave in request
 * order (pushes may come between them). A connection may have at most `maxInflight` requests
 * unanswered and `maxAnswerBytes` of answers the kernel has not taken; past either, and after
 * `turnBudget` requests in one event-loop turn, the transport stops reading that socket and goes on
 * with it later, so no connection can grow the server's memory or starve the others. A peer that
 * breaks the protocol gets an Error frame; one whose stream cannot be resynced is disconnected.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeInto, frameSize, type Message, type Push, type RawFields, type Request, type Response } from '../../protocol/codec.js';
import { FrameWriter } from '../../protocol/connection.js';
import { ErrorCode, ProtocolError } from '../../protocol/errors.js';
import type { Frame } from '../../protocol/framing.js';
import { MessageReader } from '../../protocol/messageReader.js';
import { isLoopback } from '../throttle.js';
import { errorResponse, type ChatService, type Log, type Session } from '../service.js';

/**
 * Requests all connections together may start in one event-loop turn. The rest wait for the next
 * turn, so a turn stays short (timers and other sockets are not held up for long) however many
 * connections are busy.
 */
const TURN_TOTAL = 512;
const turn = { left: TURN_TOTAL, resetting: false };

/** Takes one request's share of this turn; false when the turn is used up. */
function takeTurn(): boolean {
  if (!turn.resetting) {
    turn.resetting = true;
    setImmediate(() => {
      turn.left = TURN_TOTAL;
      turn.resetting = false;
    });
  }
  if (turn.left <= 0) return false;
  turn.left--;
  return true;
}

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

/** Guards against idle, dead and too many peers (see the README's "Running it in production"). */
export interface ConnectionLimits {
  /** A connection without a successful Register or Login this long is closed (IDLE_TIMEOUT); 0: never. */
  authTimeoutMs: number;
  /**
   * A connection the server has heard nothing from for one interval gets a KeepAlive push; silent
   * for the next interval too, it is closed as dead. So a dead peer goes within 3 intervals. 0: off.
   */
  keepAliveMs: number;
  /** Connections open at once, in all (kept below the process's open-file limit). */
  maxConnections: number;
  /** Connections open at once from one address. */
  maxPerAddress: number;
  /** Whether the per-address cap applies to loopback addresses too (off: local tools and benchmarks are trusted, as fail2ban's default ignoreip). */
  limitLoopback: boolean;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  authTimeoutMs: 10_000,
  keepAliveMs: 30_000,
  maxConnections: 10_000,
  maxPerAddress: 64,
  limitLoopback: false,
};

/** A certificate (chain) and its private key, PEM. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface TcpOptions extends Partial<PipelineLimits>, Partial<ConnectionLimits> {
  host: string;
  port: number;
  /** Serve TLS instead of plain TCP. */
  tls?: TlsFiles;
  /** A connection whose unsent output (pushes included) grows past this is dropped (its messages stay queued). */
  maxSendQueue?: number;
  /** How long a closing connection may take to flush before it is destroyed. */
  closeGraceMs?: number;
}

const DEFAULT_MAX_SEND_QUEUE = 8 * 1024 * 1024;

/** An answer slot: filled when the service replies, written when every earlier one was. */
interface Slot {
  requestId: number;
  answer: Response | undefined;
  /** Answer bytes reserved for it until it is written. */
  bound: number;
  /** A Register or Login: a success ends the unauthenticated timeout. */
  auth: boolean;
}


class Connection {
  private readonly reader = new MessageReader(['request']);
  private readonly session: Session;
  private readonly writer: FrameWriter;
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
  /** The server is stopping: read nothing more. */
  private stopping = false;
  private resumeScheduled = false;
  private dead = false;
  private complained = false;
  /** A Register or Login succeeded on this connection. */
  private authed = false;
  private authTimer: NodeJS.Timeout | undefined;
  /** Register/Login requests started and not yet answered: the timeout waits for them (a throttled Login may take longer). */
  private authPending = 0;
  /** Something came from the peer (or it took our output) since the last keep-alive sweep. */
  private heard = true;
  /** A KeepAlive went out and nothing has come back since. */
  private pinged = false;

  constructor(
    readonly socket: net.Socket,
    private readonly service: ChatService,
    private readonly log: Log,
    private readonly limits: PipelineLimits,
    private readonly maxSendQueue: number,
    private readonly closeGraceMs: number,
    authTimeoutMs: number,
  ) {
    this.session = service.openSession({ push: (m, raw) => this.push(m, raw) }, socket.remoteAddress);
    this.writer = new FrameWriter(socket, () => this.afterFlush());
    socket.setNoDelay(true);
    log.debug({ session: this.session.id, remote: socket.remoteAddress }, 'connection opened');
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.heard = true;
      this.pump();
    });
    if (authTimeoutMs > 0) {
      const expire = () => {
        if (this.authed) return;
        if (this.authPending > 0) {
          this.authTimer = setTimeout(expire, authTimeoutMs);
          return;
        }
        this.closeWith('IDLE_TIMEOUT', `no successful Register or Login within ${Math.round(authTimeoutMs / 1000)} s`);
      };
      this.authTimer = setTimeout(expire, authTimeoutMs);
    }
    socket.on('error', (err) => this.log.debug({ err: err.message, session: this.session.id }, 'socket error'));
    socket.on('close', () => {
      this.dead = true;
      clearTimeout(this.authTimer);
      service.closeSession(this.session);
      this.log.debug({ session: this.session.id }, 'connection closed');
    });
  }

  /** At shutdown: reads nothing more from the peer (what it sent and we did not read was never a request). */
  stopReading(): void {
    this.stopping = true;
    this.paused = true;
    this.socket.pause();
  }

  /**
   * At shutdown, once the service refuses new work: starts every request already read and not yet
   * started, so each gets its answer (SHUTTING_DOWN) in order, before the connection ends.
   */
  answerTheRest(): void {
    while (this.next < this.frames.length && !this.dead) this.start(this.frames[this.next++]!);
    this.frames = [];
    this.next = 0;
  }

  /** Ends the connection after what is queued has been written. */
  end(): void {
    if (this.dead) return;
    this.dead = true;
    this.writer.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), this.closeGraceMs).unref();
  }

  /** Sends an Error frame with request id 0 (not an answer to any request), then ends the connection. */
  closeWith(code: keyof typeof ErrorCode, text: string): void {
    if (this.dead) return;
    this.log.debug({ session: this.session.id, remote: this.socket.remoteAddress, code }, 'closing connection');
    this.send(errorResponse(code, text), 0);
    this.end();
  }

  /**
   * The keep-alive sweep (every keepAliveMs): a connection heard from since the last sweep is
   * fine; one silent for a whole interval gets a KeepAlive push; one silent after it is dead.
   */
  sweep(): void {
    if (this.dead) return;
    if (this.heard || this.next < this.frames.length) {
      this.heard = false;
      this.pinged = false;
    } else if (!this.pinged) {
      this.pinged = true;
      this.send({ type: 'KeepAlive' }, 0);
    } else {
      this.log.info({ session: this.session.id, remote: this.socket.remoteAddress }, 'peer silent after KeepAlive; closing it');
      this.closeWith('IDLE_TIMEOUT', 'no answer to KeepAlive');
      // A dead peer reads nothing: do not wait for it to take our last words.
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    this.heard = true;
    const frames = this.reader.frames(chunk);
    if (frames instanceof ProtocolError) {
      // The stream cannot be resynced: say why, then hang up on this peer only.
      this.complain(frames);
      this.closeWith(frames.code, frames.message);
      return;
    }
    if (frames.length === 0) return;
    if (this.next === this.frames.length) {
      this.frames = frames;
      this.next = 0;
    } else {
      for (const f of frames) this.frames.push(f);
    }
    this.pump();
  }

  /** Starts as many waiting requests as the limits allow; pauses reading when it has to stop. */
  private pump(): void {
    let budget = this.limits.turnBudget;
    while (this.next < this.frames.length && !this.dead) {
      if (this.barrier || this.overLimits()) break;
      if (budget-- === 0 || !takeTurn()) {
        // Fair turns: the rest of this connection's requests wait for the next turn.
        this.scheduleResume();
        break;
      }
      const f = this.frames[this.next++]!;
      this.start(f);
    }
    if (this.next === this.frames.length) {
      this.frames = [];
      this.next = 0;
    }
    const blocked = this.next < this.frames.length;
    if (blocked && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!blocked && this.paused && !this.stopping) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private overLimits(): boolean {
    return (
      this.slots.length - this.slotHead >= this.limits.maxInflight ||
      this.reserved + this.socket.writableLength + this.writer.pendingBytes >= this.limits.maxAnswerBytes
    );
  }

  private scheduleResume(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      this.pump();
    });
  }

  private start(f: Frame): void {
    const slot: Slot = { requestId: f.requestId, answer: undefined, bound: 0, auth: false };
    this.slots.push(slot);
    const msg = this.reader.message(f);
    if (msg instanceof ProtocolError) {
      this.complain(msg);
      this.answer(slot, errorResponse(msg.code, msg.message));
      return;
    }
    if ((msg.type === 'Login' || msg.type === 'Register') && !this.authed) {
      slot.auth = true;
      this.authPending++;
    }
    slot.bound = this.service.answerBound(msg as Request);
    this.reserved += slot.bound;
    const waits = this.service.handle(this.session, msg as Request, (r) => this.answer(slot, r), f.body);
    if (waits && slot.answer === undefined && !this.dead) this.barrier = slot;
  }

  /** Fills a slot and writes every answer that is now at the front, in request order. */
  private answer(slot: Slot, r: Response): void {
    slot.answer = r;
    if (slot.auth) {
      this.authPending--;
      if (r.type === 'Ok' || r.type === 'LoginOk') {
        this.authed = true;
        clearTimeout(this.authTimer);
      }
    }
    if (this.slots[this.slotHead] !== slot) return;
    while (this.slotHead < this.slots.length) {
      const s = this.slots[this.slotHead]!;
      if (s.answer === undefined) break;
      this.slotHead++;
      this.reserved -= s.bound;
      this.send(s.answer, s.requestId);
    }
    if (this.slotHead === this.slots.length) {
      this.slots.length = 0;
      this.slotHead = 0;
    } else if (this.slotHead > 1024) {
      this.slots.splice(0, this.slotHead);
      this.slotHead = 0;
    }
    if (this.barrier && this.barrier.answer !== undefined) this.barrier = undefined;
    if (this.next < this.frames.length) this.scheduleResume();
  }

  private push(msg: Push, raw?: RawFields): void {
    this.send(msg, 0, raw);
  }

  /** Logs the first protocol violation of a connection only, so a noisy peer cannot flood the log. */
  private complain(e: ProtocolError): void {
    if (this.complained) return;
    this.complained = true;
    this.log.warn({ session: this.session.id, remote: this.socket.remoteAddress, code: e.code, err: e.message }, 'protocol error from peer');
  }

  private send(msg: Message, requestId: number, raw?: RawFields): void {
    if (this.dead || this.socket.destroyed) return;
    try {
      this.writer.frame(msg, requestId, raw);
    } catch (err) {
      this.log.error({ err, type: msg.type }, 'could not encode a frame');
      this.writer.frame({ type: 'Error', code: ErrorCode.INTERNAL, text: 'internal server error' }, requestId);
    }
  }

  /**
   * Answers are bounded by the pipeline; pushes are not (they come from other connections), so a
   * peer that lets its unsent output grow past the cap is dropped: its messages stay queued.
   */
  private afterFlush(): void {
    if (this.next < this.frames.length) this.scheduleResume();
    if (this.socket.writableLength > this.maxSendQueue) {
      this.log.warn({ session: this.session.id, queued: this.socket.writableLength }, 'peer reads too slowly; dropping it');
      this.dead = true;
      this.socket.destroy();
    }
  }
}

/** A listening TCP transport for a ChatService. */
export class TcpTransport {
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    private readonly conns: Set<Connection>,
    readonly port: number,
  ) {}

  /** Starts listening; resolves once bound (port 0 = the OS picks, see `.port`). */
  static listen(service: ChatService, log: Log, opts: TcpOptions): Promise<TcpTransport> {
    const limits: PipelineLimits = {
      maxInflight: opts.maxInflight ?? DEFAULT_LIMITS.maxInflight,
      maxAnswerBytes: opts.maxAnswerBytes ?? DEFAULT_LIMITS.maxAnswerBytes,
      turnBudget: opts.turnBudget ?? DEFAULT_LIMITS.turnBudget,
    };
    const maxQueue = opts.maxSendQueue ?? DEFAULT_MAX_SEND_QUEUE;
    const grace = opts.closeGraceMs ?? 2000;
    const d = DEFAULT_CONNECTION_LIMITS;
    const cl: ConnectionLimits = {
      authTimeoutMs: opts.authTimeoutMs ?? d.authTimeoutMs,
      keepAliveMs: opts.keepAliveMs ?? d.keepAliveMs,
      maxConnections: opts.maxConnections ?? d.maxConnections,
      maxPerAddress: opts.maxPerAddress ?? d.maxPerAddress,
      limitLoopback: opts.limitLoopback ?? d.limitLoopback,
    };
    const conns = new Set<Connection>();
    const perAddress = new Map<string, number>();
    let refused = 0;
    const onSocket = (socket: net.Socket) => {
      const addr = socket.remoteAddress ?? '';
      const fromHere = perAddress.get(addr) ?? 0;
      const capped = cl.limitLoopback || !isLoopback(addr);
      if (conns.size >= cl.maxConnections || (capped && fromHere >= cl.maxPerAddress)) {
        const total = conns.size >= cl.maxConnections;
        // Logged once per burst, not per socket: a flood must not flood the log as well.
        if (refused++ % 1000 === 0) log.warn({ remote: addr, open: conns.size, fromHere, refused }, 'connection refused: over the cap');
        refuse(socket, total ? `the server has too many connections (${cl.maxConnections})` : `too many connections from your address (${cl.maxPerAddress})`);
        return;
      }
      perAddress.set(addr, fromHere + 1);
      const c = new Connection(socket, service, log, limits, maxQueue, grace, cl.authTimeoutMs);
      conns.add(c);
      socket.on('close', () => {
        conns.delete(c);
        const n = perAddress.get(addr)! - 1;
        if (n === 0) perAddress.delete(addr);
        else perAddress.set(addr, n);
      });
    };
    // With TLS a connection counts once its handshake is done; the handshake itself is bounded by
    // the unauthenticated timeout.
    const server = opts.tls
      ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: cl.authTimeoutMs || 120_000 }, onSocket)
      : net.createServer(onSocket);
    if (opts.tls) server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'TLS handshake failed'));
    // Out of file descriptors (EMFILE) and the like: logged, and the listener goes on accepting.
    server.on('error', (err) => log.error({ err }, 'listener error'));
    const sweeper = cl.keepAliveMs > 0 ? setInterval(() => {
      for (const c of conns) c.sweep();
    }, cl.keepAliveMs) : undefined;
    sweeper?.unref();
    server.once('close', () => clearInterval(sweeper));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        const addr = server.address() as net.AddressInfo;
        resolve(new TcpTransport(server, conns, addr.port));
      });
    });
  }

  /** Stops accepting connections; existing ones keep going. */
  stopAccepting(): void {
    this.closed ??= new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** At shutdown: stops accepting and reads no more requests from any connection. */
  stopReading(): void {
    this.stopAccepting();
    for (const c of this.conns) c.stopReading();
  }

  /**
   * Answers every request read and not yet started (SHUTTING_DOWN, as the service now refuses work),
   * ends every connection after its queued output, and waits until all are gone.
   */
  async closeAll(): Promise<void> {
    const waits = [...this.conns].map(
      (c) => new Promise<void>((resolve) => (c.socket.closed ? resolve() : c.socket.once('close', () => resolve()))),
    );
    for (const c of this.conns) c.answerTheRest();
    for (const c of this.conns) c.end();
    await Promise.all(waits);
    this.stopAccepting();
    await this.closed;
  }
}

/** Tells a connection over the cap why, then closes it (after a moment, so the frame can leave first). */
function refuse(socket: net.Socket, text: string): void {
  socket.on('error', () => undefined);
  const frame = Buffer.alloc(frameSize(errorResponse('TOO_MANY_CONNECTIONS', text)));
  encodeInto(frame, 0, errorResponse('TOO_MANY_CONNECTIONS', text), 0);
  socket.end(frame);
  setTimeout(() => socket.destroy(), 500).unref();
}
