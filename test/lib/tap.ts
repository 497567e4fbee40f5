/**
 * A tiny TCP proxy between a client and a real server, for faults made for real: it can hold the
 * server's bytes back (a stalled link), cut every connection (a dead link), stop listening (a
 * refused connect) and put a frame of its own into the stream (a hostile server). The TUI's tests
 * and the chaos run (scripts/chaos) both use it. By default it reads both directions with the
 * protocol's own reader, so tests can see what went over the wire; a long run turns that off
 * (`record: false`), and may have the tap speak TLS to the server for a client that does not.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Message, Push, Request, Response } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { MessageReader } from '../../src/protocol/messageReader.js';
import type { ServerAddress } from '../../src/tui/servers.js';

interface Pair {
  client: net.Socket;
  server: net.Socket;
  /** Server bytes kept back while the tap holds. */
  held: Buffer[];
  /** Requests sent on this connection and not answered yet, by request id. */
  open: Map<number, Request>;
  /** Blackholed: nothing more passes either way. */
  dark?: boolean;
}

export interface TapOptions {
  /** Keep every frame seen (requests, answers, pushes); default true. Off, bytes pass unread. */
  record?: boolean;
  /** Connect to the server over TLS with this CA and ALPN (e.g. ['h2'] for gRPC); the client side stays plain. */
  tlsToServer?: { ca: string | Buffer; alpn?: string[] };
}

export class Tap {
  /** Every request the clients sent through the tap, in order. */
  readonly requests: Request[] = [];
  /** Every answered request with its answer. */
  readonly answers: Array<{ request: Request; answer: Response }> = [];
  /** Every push the server sent through the tap. */
  readonly pushes: Push[] = [];
  /** Everything the server sent through the tap, in order (pushes and answers). */
  readonly fromServer: Message[] = [];
  /** Connections made through the tap so far. */
  accepted = 0;
  private readonly pairs = new Set<Pair>();
  private holding = false;
  private listener: net.Server | undefined;

  private constructor(
    private readonly target: ServerAddress,
    public port: number,
    private readonly opts: TapOptions,
  ) {}

  /** Listens on a free port and forwards every connection to `target`. */
  static async start(target: ServerAddress, opts: TapOptions = {}): Promise<Tap> {
    const tap = new Tap(target, 0, opts);
    await tap.accept();
    return tap;
  }

  /** Where clients connect. */
  get address(): ServerAddress {
    return { host: '127.0.0.1', port: this.port };
  }

  /** The Send requests seen, in order. */
  get sends(): Extract<Request, { type: 'Send' }>[] {
    return this.requests.filter((r): r is Extract<Request, { type: 'Send' }> => r.type === 'Send');
  }

  /** Connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** While on, the server's bytes are kept back (the client's still go through); off sends them on, all in one write. */
  hold(on: boolean): void {
    this.holding = on;
    if (on) return;
    for (const p of this.pairs) this.flush(p);
  }

  /**
   * Every byte either way on the connections open now is lost from now on, and none of them ends:
   * a network that went away without a word (a pulled cable, a machine that died).
   */
  blackhole(): void {
    for (const p of this.pairs) p.dark = true;
  }

  /** Cuts every connection at once, both sides, as a dead network would. What is held is lost. */
  dropAll(): void {
    for (const p of this.pairs) {
      p.held = [];
      p.client.destroy();
      p.server.destroy();
    }
    this.pairs.clear();
  }

  /** Stops listening and cuts every connection: a connect is refused until accept(). */
  async refuse(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    this.dropAll();
    if (l) await new Promise<void>((resolve) => l.close(() => resolve()));
  }

  /** Listens again (on the same port after refuse()). */
  async accept(): Promise<void> {
    if (this.listener) return;
    const l = net.createServer((client) => this.onClient(client));
    await new Promise<void>((resolve, reject) => {
      l.once('error', reject);
      l.listen(this.port, '127.0.0.1', () => {
        l.off('error', reject);
        resolve();
      });
    });
    this.port = (l.address() as net.AddressInfo).port;
    this.listener = l;
  }

  /** Writes a frame of the tap's own to every client, as if the server had sent it. */
  inject(frame: Buffer): void {
    for (const p of this.pairs) p.client.write(frame);
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private onClient(client: net.Socket): void {
    this.accepted++;
    const up = this.opts.tlsToServer;
    const server = up
      ? tls.connect({ ...this.target, ca: up.ca, ALPNProtocols: up.alpn, servername: net.isIP(this.target.host) ? undefined : this.target.host })
      : net.connect(this.target);
    const record = this.opts.record ?? true;
    const pair: Pair = { client, server, held: [], open: new Map() };
    this.pairs.add(pair);
    const fromClient = new MessageReader(['request']);
    const fromServer = new MessageReader(['response', 'push']);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
    client.on('data', (d: Buffer) => {
      if (pair.dark) return;
      if (record) fromClient.read(d, (m, f) => {
        if (m instanceof ProtocolError) return;
        this.requests.push(m as Request);
        pair.open.set(f.requestId, m as Request);
      });
      server.write(d);
    });
    server.on('data', (d: Buffer) => {
      if (pair.dark) return;
      if (record) fromServer.read(d, (m: Message | ProtocolError, f) => {
        if (m instanceof ProtocolError) return;
        this.fromServer.push(m);
        if (f.requestId === 0) {
          if (m.type !== 'Error') this.pushes.push(m as Push);
          return;
        }
        const request = pair.open.get(f.requestId);
        pair.open.delete(f.requestId);
        if (request) this.answers.push({ request, answer: m as Response });
      });
      if (this.holding) pair.held.push(d);
      else client.write(d);
    });
  }

  private flush(p: Pair): void {
    if (p.held.length === 0) return;
    const all = Buffer.concat(p.held);
    p.held = [];
    p.client.write(all);
  }
}
