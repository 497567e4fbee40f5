/**
 * The gRPC transport (src/protocol/chat.proto): the same ChatService as the TCP transport, so the
 * same rules, errors and one-live-session-per-account across both. gRPC calls are not tied to one
 * connection, so a service Session lives behind a token: Login opens it and answers the token, later
 * calls carry it in metadata, Subscribe attaches the session's push stream. A session ends on Logout,
 * account deletion, takeover (after the LoggedInElsewhere push), shutdown, or when it has had no
 * stream and no call for `idleTimeoutMs` (its client is gone; nothing queued is lost).
 */
import { randomBytes } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { layout, validate, type Push, type Request, type RequestName } from '../../protocol/codec.js';
import { ProtocolError } from '../../protocol/errors.js';
import { FifoMap } from '../../protocol/fifoMap.js';
import { DEFAULT_MAX_BODY, HEADER_SIZE } from '../../protocol/framing.js';
import type { Log } from '../log.js';
import type { ChatService } from '../service.js';
import type { Session } from '../session.js';
import { DEFAULT_TOKEN_LIFETIME_MS } from './grpcDefaults.js';
import { toGrpcError } from './grpcErrors.js';
import { ANONYMOUS, pushedId, REQUESTS, toPushOut, toReply, tokenOf, toRequest, type PushOut } from './grpcMapping.js';
import { chatServiceDefinition, META, STREAM_END, type StreamEnd } from '../../protocol/grpcProto.js';
import { Admission, DEFAULT_ADMISSION } from './admission.js';
import { DEFAULT_LIVENESS } from './liveness.js';
import net from 'node:net';

export interface GrpcOptions {
  host: string;
  port: number;
  /** A push stream whose unsent output grows past this many bytes is ended (messages stay queued). */
  maxSendQueue?: number;
  /** Pushes held for a session that has no stream yet; older ones are dropped past this (they stay queued). */
  maxHeldPushes?: number;
  /** A session with no stream and no call for this long is closed. */
  idleTimeoutMs?: number;
  /** How long shutdown waits for calls in flight before cutting them. */
  closeGraceMs?: number;
  /** Serve TLS (a PEM certificate chain and key) instead of plaintext HTTP/2. */
  tls?: { cert: Buffer; key: Buffer };
  /** A session token works this long after its Login, whatever the activity (default 1 h). */
  tokenLifetimeMs?: number;
  /** A connection that opens no call this long after it was accepted is closed (TLS handshake included); 0: never. */
  authTimeoutMs?: number;
  /** HTTP/2 PING interval for finding dead peers; one unanswered for as long again closes the connection. 0: off. */
  keepAliveMs?: number;
  /** The caps every socket of the server counts against (TCP's too); one of its own if not given. */
  admission?: Admission;
  /** The clock of token lifetimes and idle sessions (default Date.now; tests pass their own). */
  now?: () => number;
}

/** Tokens that expired, remembered so a late call hears "expired" rather than "ended". */
const EXPIRED_MEMORY = 10_000;
const EXPIRED_TEXT = 'session token expired; log in again';

type Stream = ServerWritableStream<unknown, PushOut>;

/** One logged-in gRPC client: its service session, token and push stream. */
class GrpcSession {
  stream: Stream | undefined;
  held: PushOut[] = [];
  /** Ids written to the current stream; if it breaks, those not acknowledged are un-delivered. */
  streamed: number[] = [];
  lastActive = Date.now();
  session!: Session;
  retired = false;
  constructor(
    readonly token: string,
    /** The time (GrpcOptions.now) after which the token no longer works. */
    readonly expiresAt: number,
  ) {}
}

/** About the size of a Message push (a whole frame, from the schema), to turn a byte limit into a count of pushes. */
const PUSH_BYTES = HEADER_SIZE + layout('Message').fixed;
/** Pushes held for a session between Login and Subscribe, by default (the newest are kept). */
export const DEFAULT_MAX_HELD_PUSHES = 1000;

/** A listening gRPC transport for a ChatService. */
export class GrpcTransport {
  private readonly byToken = new Map<string, GrpcSession>();
  private readonly anon: Session;
  private readonly sweeper: NodeJS.Timeout;
  /** Pushes a stream may hold unsent (its buffer counts objects, not bytes). */
  private readonly maxQueuedPushes: number;
  private readonly maxHeld: number;
  private readonly idleMs: number;
  private readonly graceMs: number;
  private readonly tokenLifetimeMs: number;
  private readonly expired = new FifoMap<string, true>(EXPIRED_MEMORY);
  private readonly now: () => number;
  private closing: Promise<void> | undefined;
  /** Accepted sockets that have opened no call yet, by peer ("address:port"), with the timer that closes them. */
  private readonly silent = new Map<string, NodeJS.Timeout>();
  private listener: net.Server | undefined;
  port = 0;

  private constructor(
    private readonly service: ChatService,
    private readonly log: Log,
    private readonly server: Server,
    opts: GrpcOptions,
  ) {
    this.maxQueuedPushes = Math.max(64, Math.floor((opts.maxSendQueue ?? 8 * 1024 * 1024) / PUSH_BYTES));
    this.maxHeld = opts.maxHeldPushes ?? DEFAULT_MAX_HELD_PUSHES;
    this.idleMs = opts.idleTimeoutMs ?? 5 * 60 * 1000;
    this.graceMs = opts.closeGraceMs ?? 2000;
    this.tokenLifetimeMs = opts.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    this.now = opts.now ?? Date.now;
    this.anon = service.openSession({ push: () => {} });
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(1000, this.idleMs / 4), Math.max(100, this.tokenLifetimeMs / 4))).unref();
  }

  /** Starts serving; resolves once bound (port 0 = the OS picks, see `.port`). */
  static async listen(service: ChatService, log: Log, opts: GrpcOptions): Promise<GrpcTransport> {
    const keepAliveMs = opts.keepAliveMs ?? DEFAULT_LIVENESS.keepAliveMs;
    // The same limit as a frame body; a bigger message is refused by grpc-js before a handler runs.
    const authMs = opts.authTimeoutMs ?? DEFAULT_LIVENESS.authTimeoutMs;
    const server = new Server({
      'grpc.max_receive_message_length': DEFAULT_MAX_BODY,
      // Dead peers: an HTTP/2 PING every keepAliveMs, unanswered within as long again, closes the
      // connection (and so ends a dead client's push stream): within 2 intervals, as KeepAlive on TCP.
      ...(keepAliveMs > 0 ? { 'grpc.keepalive_time_ms': keepAliveMs, 'grpc.keepalive_timeout_ms': keepAliveMs } : {}),
    });
    const t = new GrpcTransport(service, log, server, opts);
    server.addService(chatServiceDefinition(), t.implementation());
    // Sockets are accepted here, not by grpc-js, so each counts against the server's one admission
    // budget from its accept; one that has opened no call by the auth timeout (a TLS handshake never
    // finished included) is closed.
    const injector = server.createConnectionInjector(credentialsFor(opts));
    const admission = opts.admission ?? new Admission(DEFAULT_ADMISSION, log, service.metrics);
    let open = 0;
    service.metrics.addConnections(() => [
      { transport: 'grpc', state: 'silent', count: t.silent.size },
      { transport: 'grpc', state: 'open', count: open },
      { transport: 'grpc', state: 'sessions', count: t.byToken.size },
    ]);
    const listener = (t.listener = net.createServer((socket) => {
      if (!admission.admit(socket, false)) return;
      open++;
      socket.once('close', () => open--);
      socket.on('error', () => undefined);
      if (authMs > 0) {
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        const timer = setTimeout(() => {
          t.silent.delete(peer);
          log.debug({ remote: peer }, 'gRPC connection opened no call in time; closing');
          service.metrics.connectionRefused('grpc_no_call');
          // grpc-js owns the socket now: only a reset closes it under HTTP/2.
          socket.resetAndDestroy();
        }, authMs);
        t.silent.set(peer, timer);
        socket.once('close', () => {
          clearTimeout(timer);
          t.silent.delete(peer);
        });
      }
      injector.injectConnection(socket);
    }));
    listener.on('error', (err) => log.error({ err }, 'gRPC listener error'));
    t.port = await new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(opts.port, opts.host, () => {
        listener.off('error', reject);
        resolve((listener.address() as net.AddressInfo).port);
      });
    });
    return t;
  }


  /** Live gRPC sessions (for tests and metrics). */
  get sessionCount(): number {
    return this.byToken.size;
  }

  /** Stops accepting calls, ends every push stream, waits (bounded) for calls in flight. */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      this.listener?.close();
      for (const timer of this.silent.values()) clearTimeout(timer);
      for (const g of [...this.byToken.values()]) this.retire(g, 'serverClosing');
      this.service.closeSession(this.anon);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, this.graceMs);
        t.unref();
        this.server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    })();
    return this.closing;
  }

  /** A call came in on a connection: it is in use, no longer a silent socket (a Ping alone does not count). */
  private heard(peer: string): void {
    const timer = this.silent.get(peer);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.silent.delete(peer);
  }

  private implementation(): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const name of REQUESTS) {
      impl[name] = (call: ServerUnaryCall<Record<string, unknown>, object>, cb: sendUnaryData<object>) =>
        void this.unary(name, call, cb);
    }
    impl.Subscribe = (call: Stream) => this.subscribe(call);
    return impl;
  }

  private async unary(name: RequestName, call: ServerUnaryCall<Record<string, unknown>, object>, cb: sendUnaryData<object>): Promise<void> {
    if (name !== 'Ping') this.heard(call.getPeer());
    let req: Request;
    try {
      req = toRequest(name, call.request);
      // The schema is the one place field limits are stated; checked as for a frame.
      validate(req);
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError('BAD_FIELD', 'unreadable request');
      cb(toGrpcError(e.code, e.message));
      return;
    }
    const token = tokenOf(call.metadata);
    let g = token === undefined ? undefined : this.live(token);
    if (g) g.lastActive = this.now();
    let session: Session;
    const address = peerAddress(call.getPeer());
    // A Register gets a session of its own for the call, carrying the address its rate is counted by.
    const once = name === 'Register' ? this.service.openSession({ push: () => {} }, address) : undefined;
    if (once) session = once;
    else if (g) session = g.session; // a Login with a live token logs that session in again, as on one TCP connection
    else if (name === 'Login') {
      const fresh = this.newSession(address);
      g = fresh;
      session = fresh.session;
      // A Login its caller gave up on (a dead connection, a deadline) must not take over the session
      // the caller has since opened elsewhere: its session closes, and the Login is refused.
      call.on('cancelled', () => {
        if (!this.byToken.has(fresh.token)) this.service.closeSession(fresh.session);
      });
    } else if (ANONYMOUS.has(name)) session = this.anon;
    else {
      cb(toGrpcError('NOT_LOGGED_IN', this.whyNoSession(token)));
      return;
    }
    const { answer: r, after } = await this.service.request(session, req);
    if (once) this.service.closeSession(once);
    const out = toReply(name, r, g?.token ?? '');
    if (g) {
      const ended =
        (name === 'Login' && r.type !== 'LoginOk' && !this.byToken.has(g.token)) ||
        (name === 'Logout' && r.type === 'Ok') ||
        (name === 'DeleteAccount' && r.type === 'Ok');
      if (name === 'Login' && r.type === 'LoginOk') this.byToken.set(g.token, g);
      // Acknowledged ids need no un-delivering if the stream breaks later.
      if (req.type === 'Ack' && r.type === 'Ok') g.streamed = g.streamed.filter((id) => id > req.upTo);
      if (ended) this.retire(g, name === 'Logout' ? 'logout' : name === 'DeleteAccount' ? 'accountDeleted' : undefined);
    }
    if ('error' in out) cb(out.error);
    else cb(null, out.reply);
    // Pushes that follow the answer (a Login's kept receipts) are held until Subscribe if no stream is open.
    after?.();
  }

  /** The live session of a token; an expired one is retired here (and remembered as expired). */
  private live(token: string): GrpcSession | undefined {
    const g = this.byToken.get(token);
    if (g && this.now() >= g.expiresAt) {
      this.retire(g, 'expired');
      return undefined;
    }
    return g;
  }

  private whyNoSession(token: string | undefined): string {
    if (token === undefined) return 'log in first';
    return this.expired.get(token) ? EXPIRED_TEXT : 'session ended; log in again';
  }

  private newSession(address: string | undefined): GrpcSession {
    const g = new GrpcSession(randomBytes(24).toString('base64url'), this.now() + this.tokenLifetimeMs);
    g.lastActive = this.now();
    g.session = this.service.openSession({ push: (p) => this.push(g, p) }, address);
    return g;
  }

  private subscribe(call: Stream): void {
    this.heard(call.getPeer());
    const token = tokenOf(call.metadata);
    const g = token === undefined ? undefined : this.live(token);
    if (!g || g.retired) {
      call.emit('error', toGrpcError('NOT_LOGGED_IN', this.whyNoSession(token)));
      return;
    }
    if (g.stream) g.stream.end(endTrailer('replaced')); // a newer stream replaces the older one
    g.stream = call;
    g.lastActive = this.now();
    // Headers now: the client sees them once the stream is attached.
    call.sendMetadata(new Metadata());
    const held = g.held;
    g.held = [];
    // A held message the session has acknowledged meanwhile (it fetched it) is not pushed again.
    for (const p of held) {
      const id = pushedId(p);
      if (id === undefined || g.session.delivered.has(id)) this.write(g, p);
    }
    const detach = () => {
      if (g.stream !== call) return;
      g.stream = undefined;
      g.lastActive = this.now();
      this.undeliver(g, g.streamed);
      g.streamed = [];
    };
    call.on('cancelled', detach);
    call.on('close', detach);
    call.on('error', detach);
  }

  private push(g: GrpcSession, p: Push): void {
    const out = toPushOut(p);
    if (g.stream) this.write(g, out);
    else if (p.type !== 'KeepAlive' && p.type !== 'LoggedInElsewhere' && p.type !== 'ServerClosing') this.hold(g, out);
    // After these the session is over; retire it once the service is done with the current call.
    if (p.type === 'LoggedInElsewhere' || p.type === 'ServerClosing') process.nextTick(() => this.retire(g, p.type === 'ServerClosing' ? 'serverClosing' : 'loggedInElsewhere'));
  }

  /**
   * Keeps a push for the session's Subscribe. Past the cap the oldest message goes first (it stays
   * queued: un-delivered, it is fetched later), then the oldest presence or group change or group
   * delivery count (a later one says more); receipts are never
   * dropped (they exist once, and are bounded by what the account sent).
   */
  private hold(g: GrpcSession, out: PushOut): void {
    g.held.push(out);
    if (g.held.length <= this.maxHeld) return;
    let i = g.held.findIndex((p) => pushedId(p) !== undefined);
    if (i < 0) i = g.held.findIndex((p) => p.presenceChanged !== undefined || p.groupChanged !== undefined || p.groupDelivered !== undefined);
    if (i < 0) return;
    const [dropped] = g.held.splice(i, 1);
    const id = pushedId(dropped!);
    if (id !== undefined) this.undeliver(g, [id]);
  }

  private write(g: GrpcSession, out: PushOut): void {
    const s = g.stream;
    if (!s || s.writableEnded || s.destroyed) return;
    s.write(out);
    const id = pushedId(out);
    if (id !== undefined) g.streamed.push(id);
    if (s.writableLength > this.maxQueuedPushes) {
      this.log.warn({ session: g.session.id, queued: s.writableLength }, 'gRPC subscriber reads too slowly; ending its stream');
      this.service.metrics.connectionRefused('slow_reader');
      s.emit('error', toGrpcError('BUSY', 'push stream fell too far behind; fetch the waiting messages'));
    }
  }

  /**
   * Pushes that may not have reached the client (dropped from the held buffer, or on a stream that
   * broke) must not be removed by a later cumulative Ack: they stay queued for the next fetch.
   */
  private undeliver(g: GrpcSession, ids: readonly number[]): void {
    this.service.undeliver(g.session, ids);
  }

  /** Ends a session: its token stops working, its stream ends (saying why), its account goes offline. */
  private retire(g: GrpcSession, why?: StreamEnd): void {
    if (g.retired) return;
    g.retired = true;
    this.byToken.delete(g.token);
    if (why === 'expired') this.expired.set(g.token, true);
    const s = g.stream;
    g.stream = undefined;
    if (s && !s.writableEnded) s.end(why && endTrailer(why));
    this.service.closeSession(g.session);
  }

  private sweep(): void {
    const now = this.now();
    const cutoff = now - this.idleMs;
    for (const g of [...this.byToken.values()]) {
      if (now >= g.expiresAt) {
        this.log.debug({ session: g.session.id }, 'gRPC session token expired');
        this.retire(g, 'expired');
      } else if (!g.stream && g.lastActive < cutoff) {
        this.log.debug({ session: g.session.id }, 'gRPC session idle; closing it');
        this.retire(g);
      }
    }
  }
}

/** The trailing metadata that tells a Subscribe client why its stream ended. */
function endTrailer(why: StreamEnd): Metadata {
  const md = new Metadata();
  md.set(META.streamEnd, STREAM_END[why].value);
  return md;
}

/** The IP address in a grpc-js peer string ("1.2.3.4:5678", "[::1]:5678", optionally "ipv4:"/"ipv6:" first), or undefined. */
export function peerAddress(peer: string): string | undefined {
  const p = peer.replace(/^ipv[46]:/, '');
  const m = /^\[([^\]]+)\]:\d+$/.exec(p) ?? /^([^:]+):\d+$/.exec(p);
  return m?.[1];
}

function credentialsFor(opts: GrpcOptions): ServerCredentials {
  if (!opts.tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(null, [{ private_key: opts.tls.key, cert_chain: opts.tls.cert }], false);
}
