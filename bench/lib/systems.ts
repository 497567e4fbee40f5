/**
 * One driver per system under test, all with the same shape: a Pair is one sender and one online
 * recipient. `send` pipelines (fire and forget), `roundTrip` waits for the server's acceptance,
 * every delivery calls `onDeliver` with the content's sequence number.
 */
import net from 'node:net';
import { ChatClient } from '../../src/protocol/client.js';
import { FrameWriter } from '../../src/protocol/connection.js';
import { ServerError } from '../../src/protocol/errors.js';
import { fieldSpan } from '../../src/protocol/codec.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { seqOf } from './common.js';

export interface Pair {
  send(content: string): void;
  /** Send and wait for the server's acceptance; undefined when the system has no such answer. */
  roundTrip?: (content: string) => Promise<void>;
  onDeliver: (seq: number) => void;
  /** Messages the sender saw refused (should stay 0). */
  errors: number;
  close(): Promise<void>;
}

export interface SystemDriver {
  name: string;
  /** A sender and an online recipient, connected to `port`. */
  pair(port: number): Promise<Pair>;
}

const PASSWORD = 'bench password';
let nameSeq = 0;
/** Fresh account names per pair so pairs never take over each other's sessions. */
function names(): [string, string] {
  const n = nameSeq++;
  return [`bs${n}`, `br${n}`];
}

async function registerLoose(c: { register(u: string, p: string): Promise<void> }, name: string): Promise<void> {
  try {
    await c.register(name, PASSWORD);
  } catch (err) {
    if (!(err instanceof ServerError && err.code === 'USERNAME_TAKEN')) throw err;
  }
}

/** Cumulative ack at most every `every` messages, so acks cost little but the queue stays short. */
function acker(ack: (id: number) => Promise<void>, every = 256): (id: number) => void {
  let acked = 0;
  return (id) => {
    if (id - acked >= every) {
      acked = id;
      ack(id).catch(() => {});
    }
  };
}

export const termchat: SystemDriver = {
  name: 'termchat',
  async pair(port) {
    const [s, r] = names();
    const sender = await ChatClient.connect({ port });
    const recipient = await ChatClient.connect({ port });
    await registerLoose(sender, s);
    await registerLoose(recipient, r);
    await sender.login(s, PASSWORD);
    await recipient.login(r, PASSWORD);
    const ack = acker((id) => recipient.ack(id));
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        sender.request({ type: 'Send', recipient: r, clientId: sender.newClientId(), flags: 0, content }).then(
          (res) => {
            if (res.type !== 'Accepted') p.errors++;
          },
          () => p.errors++,
        );
      },
      async roundTrip(content) {
        await sender.send(r, content);
      },
      async close() {
        await Promise.all([sender.close(), recipient.close()]);
      },
    };
    recipient.on('message', (m) => {
      p.onDeliver(seqOf(m.content));
      ack(m.id);
    });
    return p;
  },
};

export const grpc: SystemDriver = {
  name: 'gRPC',
  async pair(port) {
    const [s, r] = names();
    const sender = await GrpcChatClient.connect({ port });
    const recipient = await GrpcChatClient.connect({ port });
    await registerLoose(sender, s);
    await registerLoose(recipient, r);
    await sender.login(s, PASSWORD);
    await recipient.login(r, PASSWORD);
    await recipient.subscribe();
    const ack = acker((id) => recipient.ack(id));
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        sender.send(r, content).catch(() => p.errors++);
      },
      async roundTrip(content) {
        await sender.send(r, content);
      },
      async close() {
        sender.close();
        recipient.close();
      },
    };
    recipient.on('message', (m) => {
      p.onDeliver(seqOf(m.content));
      ack(m.id);
    });
    return p;
  },
};

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
    s.setNoDelay(true);
  });
}

/** The raw relay (bench/rawRelay.ts): fixed-size frames, the sequence number at the content offset. */
export function rawDriver(frame: number): SystemDriver {
  let pairSeq = 1;
  const CONTENT_AT = HEADER_SIZE + fieldSpan('Send', 'content').at; // where termchat's Send frame has its content
  return {
    name: 'raw relay',
    async pair(port) {
      const id = pairSeq++;
      const sender = await connect(port);
      const recipient = await connect(port);
      const hello = (role: number) => {
        const b = Buffer.alloc(8);
        b.writeUInt32BE(id, 0);
        b[4] = role;
        return b;
      };
      recipient.write(hello(2));
      await new Promise<void>((r) => setImmediate(r));
      sender.write(hello(1));
      const writer = new FrameWriter(sender);
      const write = (b: Buffer) => writer.write(b);
      const waiters: (() => void)[] = [];
      let ackBytes = 0;
      sender.on('data', (d: Buffer) => {
        ackBytes += d.length;
        while (ackBytes >= 13 && waiters.length) {
          ackBytes -= 13;
          waiters.shift()!();
        }
        if (!waiters.length) ackBytes %= 13;
      });
      const send = (content: string) => {
        const f = Buffer.allocUnsafe(frame);
        const n = f.write(content.slice(0, frame - CONTENT_AT), CONTENT_AT, 'latin1');
        f.fill(0, 0, CONTENT_AT);
        f.fill(0, CONTENT_AT + n);
        write(f);
      };
      const roundTrip = (content: string) =>
        new Promise<void>((resolve) => {
          waiters.push(resolve);
          send(content);
        });
      let probed = false;
      const p: Pair = {
        errors: 0,
        onDeliver: () => {},
        send,
        roundTrip,
        async close() {
          sender.destroy();
          recipient.destroy();
        },
      };
      let buf: Buffer = Buffer.alloc(0);
      recipient.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        let at = 0;
        while (buf.length - at >= frame) {
          const end = buf.indexOf(0x20, at + CONTENT_AT);
          const seq = Number(buf.toString('latin1', at + CONTENT_AT, end));
          if (probed) p.onDeliver(seq);
          else if (seq === -1) probed = true;
          at += frame;
        }
        buf = buf.subarray(at);
      });
      // Both hellos must have reached the relay before traffic: probe until one frame gets through.
      while (!probed) {
        await roundTrip('-1 ');
        await new Promise<void>((r) => setTimeout(r, 1));
      }
      return p;
    },
  };
}

/** IRC: PRIVMSG between two registered clients (ngircd). No acceptance answer exists. */
export const ircDriver: SystemDriver = {
  name: 'IRC (ngircd)',
  async pair(port) {
    const [s, r] = names();
    const reg = async (nick: string) => {
      const sock = await connect(port);
      sock.setEncoding('latin1');
      await new Promise<void>((resolve, reject) => {
        let acc = '';
        const onData = (d: string) => {
          acc += d;
          if (/ 001 /.test(acc)) {
            sock.off('data', onData);
            resolve();
          } else if (/ 4\d\d /.test(acc)) reject(new Error(`IRC registration failed: ${acc}`));
        };
        sock.on('data', onData);
        sock.write(`NICK ${nick}\r\nUSER ${nick} 0 * :bench\r\n`);
      });
      return sock;
    };
    const sender = await reg(s);
    const recipient = await reg(r);
    const writer = new FrameWriter(sender);
    const write = (b: Buffer) => writer.write(b);
    const prefix = `PRIVMSG ${r} :`;
    const p: Pair = {
      errors: 0,
      onDeliver: () => {},
      send(content) {
        write(Buffer.from(`${prefix}${content}\r\n`, 'latin1'));
      },
      async close() {
        sender.destroy();
        recipient.destroy();
      },
    };
    let acc = '';
    recipient.on('data', (d: string) => {
      acc += d;
      let nl;
      let at = 0;
      while ((nl = acc.indexOf('\n', at)) >= 0) {
        const line = acc.slice(at, nl);
        at = nl + 1;
        const i = line.indexOf(' PRIVMSG ');
        if (i >= 0) p.onDeliver(seqOf(line.slice(line.indexOf(' :', i) + 2)));
        else if (line.startsWith('PING')) recipient.write(`PONG${line.slice(4)}\n`);
      }
      acc = acc.slice(at);
    });
    sender.on('data', (d: string) => {
      if (d.includes('PING ')) sender.write(`PONG :x\r\n`);
    });
    return p;
  },
};

/** IRC caps a line at 512 bytes with CRLF; the largest content a PRIVMSG to `nick` can carry. */
export function ircMaxContent(nickLen = 8): number {
  return 512 - 2 - `PRIVMSG ${'x'.repeat(nickLen)} :`.length;
}
