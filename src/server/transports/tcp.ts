/**
 * The TCP transport: one Session per socket. Bytes -> frames -> typed requests -> ChatService, and
 * responses (same request id) and pushes (request id 0) back. Frames written in one tick leave in one
 * writev. A peer that breaks the protocol gets an Error frame; one whose stream cannot be resynced
 * is disconnected. Nothing a peer sends can take the server down.
 */
import net from 'node:net';
import { decode, encode, type Message, type Request, type Response } from '../../protocol/codec.js';
import { ErrorCode, ProtocolError } from '../../protocol/errors.js';
import { TickWriter } from '../../protocol/connection.js';
import { FrameDecoder } from '../../protocol/framing.js';
import { schema } from '../../protocol/schema.js';
import { errorResponse, type ChatService, type Log, type Session } from '../service.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** A connection whose unsent output grows past this is dropped (its messages stay queued). */
  maxSendQueue?: number;
  /** How long a closing connection may take to flush before it is destroyed. */
  closeGraceMs?: number;
}

const DEFAULT_MAX_SEND_QUEUE = 8 * 1024 * 1024;

class Connection {
  private readonly decoder = new FrameDecoder();
  private readonly session: Session;
  private readonly writer: TickWriter;
  private dead = false;
  private complained = false;

  constructor(
    readonly socket: net.Socket,
    private readonly service: ChatService,
    private readonly log: Log,
    private readonly maxSendQueue: number,
    private readonly closeGraceMs: number,
  ) {
    this.session = service.openSession({ push: (m) => this.send(m, 0) });
    this.writer = new TickWriter(socket, () => this.dropIfBacklogged());
    socket.setNoDelay(true);
    log.debug({ session: this.session.id, remote: socket.remoteAddress }, 'connection opened');
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message, session: this.session.id }, 'socket error'));
    socket.on('close', () => {
      this.dead = true;
      service.closeSession(this.session);
      this.log.debug({ session: this.session.id }, 'connection closed');
    });
  }

  /** Ends the connection after what is queued has been written. */
  end(): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), this.closeGraceMs).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      // The stream cannot be resynced: say why, then hang up on this peer only.
      const e = err instanceof ProtocolError ? err : new ProtocolError('BAD_SIZE', 'unreadable stream');
      this.complain(e);
      this.write(encode(errorResponse(e.code, e.message), 0));
      this.end();
      return;
    }
    for (const f of frames) {
      let msg: Message;
      try {
        msg = decode(f.opcode, f.body);
      } catch (err) {
        const e = err instanceof ProtocolError ? err : new ProtocolError('BAD_FIELD', 'undecodable body');
        this.complain(e);
        this.send(errorResponse(e.code, e.message), f.requestId);
        continue;
      }
      if (schema[msg.type].dir !== 'request') {
        this.send(errorResponse('UNEXPECTED_MESSAGE', `${msg.type} is not a request`), f.requestId);
        continue;
      }
      const id = f.requestId;
      void this.service.handle(this.session, msg as Request).then((r) => this.send(r, id));
    }
  }

  /** Logs the first protocol violation of a connection only, so a noisy peer cannot flood the log. */
  private complain(e: ProtocolError): void {
    if (this.complained) return;
    this.complained = true;
    this.log.warn({ session: this.session.id, remote: this.socket.remoteAddress, code: e.code, err: e.message }, 'protocol error from peer');
  }

  private send(msg: Message | Response, requestId: number): void {
    if (this.dead) return;
    let frame: Buffer;
    try {
      frame = encode(msg as Message, requestId);
    } catch (err) {
      this.log.error({ err, type: msg.type }, 'could not encode a frame');
      frame = encode({ type: 'Error', code: ErrorCode.INTERNAL, text: 'internal server error' }, requestId);
    }
    this.write(frame);
  }

  private write(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.writer.write(frame);
  }

  /** What the kernel did not take is queued in user space; a peer that lets it grow is dropped. */
  private dropIfBacklogged(): void {
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
    const maxQueue = opts.maxSendQueue ?? DEFAULT_MAX_SEND_QUEUE;
    const grace = opts.closeGraceMs ?? 2000;
    const conns = new Set<Connection>();
    const server = net.createServer((socket) => {
      const c = new Connection(socket, service, log, maxQueue, grace);
      conns.add(c);
      socket.on('close', () => conns.delete(c));
    });
    server.on('error', (err) => log.error({ err }, 'listener error'));
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

  /** Ends every connection after its queued output, and waits until all are gone. */
  async closeAll(): Promise<void> {
    const waits = [...this.conns].map(
      (c) => new Promise<void>((resolve) => (c.socket.closed ? resolve() : c.socket.once('close', () => resolve()))),
    );
    for (const c of this.conns) c.end();
    await Promise.all(waits);
    this.stopAccepting();
    await this.closed;
  }
}
