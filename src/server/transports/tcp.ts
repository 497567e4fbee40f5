/**
 * The TCP transport: one Session per socket. Bytes -> the connection's request pipeline
 * (pipeline.ts) -> ChatService, and answers (same request id) and pushes (request id 0) back.
 * Who may connect is admission.ts's; idle and dead peers are liveness.ts's. A peer that breaks the
 * protocol gets an Error frame; one whose stream cannot be resynced is disconnected.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Message, Push, RawFields, Request, Response } from '../../protocol/codec.js';
import { FrameWriter } from '../../protocol/connection.js';
import { ErrorCode, type ErrorCodeName, type ProtocolError } from '../../protocol/errors.js';
import type { Log } from '../log.js';
import type { ChatService } from '../service.js';
import { errorResponse, type Session } from '../session.js';
import { Admission, DEFAULT_ADMISSION, type AdmissionLimits } from './admission.js';
import { DEFAULT_LIVENESS, Liveness, type LivenessLimits } from './liveness.js';
import { AnswerBudget } from './answerBudget.js';
import { DEFAULT_LIMITS, RequestPipeline, SHARED_TURNS, type PipelineLimits } from './pipeline.js';

export { DEFAULT_LIMITS, type PipelineLimits } from './pipeline.js';

/** Guards against idle, dead and too many peers (see the README's "Running it in production"). */
export type ConnectionLimits = AdmissionLimits & LivenessLimits;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { ...DEFAULT_LIVENESS, ...DEFAULT_ADMISSION };

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
  /** With TLS: a handshake not done within this long is cut (the socket counted all along). */
  tlsHandshakeTimeoutMs?: number;
  /** Answer bytes pending across all connections together (answerBudget.ts); 0: no such bound. */
  maxAnswerBytesTotal?: number;
}

/** The server-wide answer budget, by default: a few Fetch batches per busy connection, far below the memory of a small machine. */
export const DEFAULT_MAX_ANSWER_BYTES_TOTAL = 4 * 1024 * 1024;

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 5_000;

/** A connection whose unsent output (pushes included) grows past this is dropped, by default. */
export const DEFAULT_MAX_SEND_QUEUE = 8 * 1024 * 1024;

interface ConnectionSettings {
  limits: PipelineLimits;
  maxSendQueue: number;
  closeGraceMs: number;
  authTimeoutMs: number;
  frameTimeoutMs: number;
  budget: AnswerBudget;
}

class Connection {
  private readonly session: Session;
  private readonly writer: FrameWriter;
  private readonly pipeline: RequestPipeline;
  private readonly liveness: Liveness;
  private dead = false;
  private complained = false;

  constructor(
    readonly socket: net.Socket,
    private readonly service: ChatService,
    private readonly log: Log,
    private readonly settings: ConnectionSettings,
  ) {
    const session = (this.session = service.openSession(
      { push: (m, raw) => this.send(m, 0, raw), pushFrame: (f) => !this.dead && !socket.destroyed && this.writer.write(f) },
      socket.remoteAddress,
    ));
    this.writer = new FrameWriter(socket, () => this.afterFlush());
    this.pipeline = new RequestPipeline(
      {
        handle: (req, reply, body) => this.handle(req, reply, body),
        write: (answer, requestId) => this.send(answer, requestId),
        unsentBytes: () => socket.writableLength + this.writer.pendingBytes,
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        complain: (e) => this.complain(e),
      },
      settings.limits,
      service.limits,
      SHARED_TURNS,
      setImmediate,
      settings.budget,
    );
    this.liveness = new Liveness(
      () => session.proven,
      (why, text) => {
        service.metrics.connectionRefused(why);
        this.closeWith('IDLE_TIMEOUT', text);
      },
      settings.authTimeoutMs,
    );
    socket.setNoDelay(true);
    log.debug({ session: session.id, remote: socket.remoteAddress }, 'connection opened');
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.liveness.heardFrom();
      settings.budget.released();
      this.pipeline.pump();
    });
    socket.on('error', (err) => this.log.debug({ err: err.message, session: session.id }, 'socket error'));
    socket.on('close', () => {
      this.dead = true;
      this.pipeline.close();
      this.liveness.stop();
      service.closeSession(session);
      this.log.debug({ session: session.id }, 'connection closed');
    });
  }

  /** Whether its session is logged in (for the metrics). */
  get loggedIn(): boolean {
    return this.session.accountId !== undefined;
  }

  /** At shutdown: reads nothing more from the peer. */
  stopReading(): void {
    this.pipeline.stopReading();
  }

  /** At shutdown, once the service refuses new work: every request read gets its answer (SHUTTING_DOWN). */
  answerTheRest(): void {
    if (!this.dead) this.pipeline.answerTheRest();
  }

  /** Ends the connection after what is queued has been written. */
  end(): void {
    if (this.dead) return;
    this.dead = true;
    this.pipeline.close();
    this.writer.flush();
    this.socket.end();
    // A socket paused by the pipeline reads nothing, so it would not see a peer that left already:
    // reading again (the data is dropped) lets it close now rather than at the grace timeout.
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), this.settings.closeGraceMs).unref();
  }

  /** Sends an Error frame with request id 0 (not an answer to any request), then ends the connection. */
  closeWith(code: ErrorCodeName, text: string): void {
    if (this.dead) return;
    this.log.debug({ session: this.session.id, remote: this.socket.remoteAddress, code }, 'closing connection');
    this.send(errorResponse(code, text), 0);
    this.end();
  }

  /** The keep-alive sweep: a silent peer gets a KeepAlive; silent after it, it is dropped as dead. */
  sweep(): void {
    if (this.dead) return;
    const verdict = this.liveness.sweep(this.pipeline.waiting);
    if (verdict === 'ping') this.send({ type: 'KeepAlive' }, 0);
    else if (verdict === 'dead') {
      this.log.info({ session: this.session.id, remote: this.socket.remoteAddress }, 'peer silent after KeepAlive; closing it');
      this.service.metrics.connectionRefused('dead_peer');
      this.closeWith('IDLE_TIMEOUT', 'no answer to KeepAlive');
      // A dead peer reads nothing: do not wait for it to take our last words.
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    this.liveness.heardFrom();
    const before = this.pipeline.framesRead;
    const fatal = this.pipeline.data(chunk);
    this.liveness.frameProgress(this.pipeline.partialBytes > 0, this.pipeline.framesRead !== before, this.settings.frameTimeoutMs);
    if (fatal !== undefined) {
      // The stream cannot be resynced: say why, then hang up on this peer only.
      this.complain(fatal);
      this.closeWith(fatal.code, fatal.message);
    }
  }

  /** Hands a request to the service; a Register or Login holds the auth timeout until it is answered. */
  private handle(req: Request, reply: (r: Response, after?: () => void) => void, body: Buffer): boolean {
    if ((req.type === 'Login' || req.type === 'Register') && !this.session.proven) {
      this.liveness.authStarted();
      return this.service.handle(
        this.session,
        req,
        (r, after) => {
          reply(r, after);
          this.liveness.authEnded();
        },
        body,
      );
    }
    return this.service.handle(this.session, req, reply, body);
  }

  /** Logs the first protocol violation of a connection only, so a noisy peer cannot flood the log. */
  private complain(e: ProtocolError): void {
    if (this.complained) return;
    this.complained = true;
    this.log.warn({ session: this.session.id, remote: this.socket.remoteAddress, code: e.code, err: e.message }, 'protocol error from peer');
  }

  private send(msg: Message | Push, requestId: number, raw?: RawFields): void {
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
    this.pipeline.resumeSoon();
    if (this.socket.writableLength > this.settings.maxSendQueue) {
      this.log.warn({ session: this.session.id, queued: this.socket.writableLength }, 'peer reads too slowly; dropping it');
      this.service.metrics.connectionRefused('slow_reader');
      this.dead = true;
      this.socket.destroy();
    }
  }
}

/** Runs the server side of a TLS handshake on an admitted socket; `serve` gets the secure socket once it is done in time. */
function handshake(raw: net.Socket, context: tls.SecureContext, timeoutMs: number, log: Log, serve: (s: net.Socket) => void, timedOut: () => void): void {
  raw.on('error', () => undefined);
  const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          log.debug({ remote: raw.remoteAddress }, 'TLS handshake not done in time; closing');
          timedOut();
          socket.destroy();
          raw.destroy();
        }, timeoutMs)
      : undefined;
  socket.once('secure', () => {
    clearTimeout(timer);
    serve(socket);
  });
  socket.on('error', (err) => {
    clearTimeout(timer);
    log.debug({ err: err.message, remote: raw.remoteAddress }, 'TLS handshake failed');
    raw.destroy();
  });
  raw.once('close', () => clearTimeout(timer));
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
  static listen(service: ChatService, log: Log, opts: TcpOptions, admission?: Admission): Promise<TcpTransport> {
    const d = DEFAULT_CONNECTION_LIMITS;
    const settings: ConnectionSettings = {
      limits: {
        maxInflight: opts.maxInflight ?? DEFAULT_LIMITS.maxInflight,
        maxAnswerBytes: opts.maxAnswerBytes ?? DEFAULT_LIMITS.maxAnswerBytes,
        turnBudget: opts.turnBudget ?? DEFAULT_LIMITS.turnBudget,
      },
      maxSendQueue: opts.maxSendQueue ?? DEFAULT_MAX_SEND_QUEUE,
      closeGraceMs: opts.closeGraceMs ?? 2000,
      authTimeoutMs: opts.authTimeoutMs ?? d.authTimeoutMs,
      frameTimeoutMs: opts.frameTimeoutMs ?? d.frameTimeoutMs,
      budget: new AnswerBudget(opts.maxAnswerBytesTotal ?? DEFAULT_MAX_ANSWER_BYTES_TOTAL),
    };
    const keepAliveMs = opts.keepAliveMs ?? d.keepAliveMs;
    const admit =
      admission ??
      new Admission(
        {
          maxConnections: opts.maxConnections ?? d.maxConnections,
          maxPerAddress: opts.maxPerAddress ?? d.maxPerAddress,
          limitLoopback: opts.limitLoopback ?? d.limitLoopback,
        },
        log,
        service.metrics,
      );
    const conns = new Set<Connection>();
    let handshaking = 0;
    const serve = (socket: net.Socket) => {
      const c = new Connection(socket, service, log, settings);
      conns.add(c);
      socket.on('close', () => conns.delete(c));
    };
    // Every socket counts from its accept, a TLS one before its handshake too, and a handshake that
    // does not finish in time is cut: silent sockets cannot hold file descriptors outside the caps.
    const secure = opts.tls && tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key });
    const handshakeMs = opts.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
    const server = net.createServer((raw) => {
      if (!secure) {
        if (admit.admit(raw)) serve(raw);
        return;
      }
      // A refusal in plain text would be noise to a TLS client: it is just closed.
      if (!admit.admit(raw, false)) return;
      handshaking++;
      let counted = true;
      const done = () => {
        if (counted) handshaking--;
        counted = false;
      };
      raw.once('close', done);
      handshake(raw, secure, handshakeMs, log, (s) => {
        done();
        serve(s);
      }, () => service.metrics.connectionRefused('tls_handshake_timeout'));
    });
    service.metrics.setAnswerBudget(() => ({ used: settings.budget.used(), max: settings.budget.maxBytes, waits: settings.budget.waits }));
    service.metrics.addConnections(() => {
      let anonymous = 0;
      let loggedIn = 0;
      for (const c of conns) {
        if (c.loggedIn) loggedIn++;
        else anonymous++;
      }
      return [
        { transport: 'tcp', state: 'handshaking', count: handshaking },
        { transport: 'tcp', state: 'anonymous', count: anonymous },
        { transport: 'tcp', state: 'logged_in', count: loggedIn },
      ];
    });
    // Out of file descriptors (EMFILE) and the like: logged, and the listener goes on accepting.
    server.on('error', (err) => log.error({ err }, 'listener error'));
    const sweeper =
      keepAliveMs > 0
        ? setInterval(() => {
            for (const c of conns) c.sweep();
          }, keepAliveMs)
        : undefined;
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

  /** At shutdown, once the service refuses new work: every request read and not yet started gets its answer (SHUTTING_DOWN). */
  answerTheRest(): void {
    for (const c of this.conns) c.answerTheRest();
  }

  /** Ends every connection after its queued output, and waits until all are gone. */
  async closeAll(): Promise<void> {
    const waits = [...this.conns].map(
      (c) => new Promise<void>((resolve) => (c.socket.closed ? resolve() : c.socket.once('close', () => resolve()))),
    );
    this.answerTheRest();
    for (const c of this.conns) c.end();
    await Promise.all(waits);
    this.stopAccepting();
    await this.closed;
  }
}
