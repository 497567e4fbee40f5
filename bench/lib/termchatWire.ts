/**
 * A termchat driver as lean as the raw relay's: Send frames built into a template (the codec
 * encodes the template once; per message only the clientId and the content are written), pushes read
 * by their header and the content's sequence number, acknowledged once per read (one cumulative Ack).
 * It speaks the real protocol (login, Send, Accepted, Message, Ack), so the figure measures the
 * server rather than the client library's promises and decoding.
 */
import net from 'node:net';
import { decode, encode, fieldSpan, opcodeOf } from '../../src/protocol/codec.js';
import { FrameWriter } from '../../src/protocol/connection.js';
import { FrameDecoder, HEADER_AT, HEADER_SIZE } from '../../src/protocol/framing.js';
import { ChatClient } from '../../src/protocol/client.js';
import { ServerError } from '../../src/protocol/errors.js';
import type { Pair, SystemDriver } from './systems.js';
import { maxValue, u32 } from '../../src/protocol/fields.js';

const PASSWORD = 'bench password';
const CLIENT_ID = fieldSpan('Send', 'clientId');
const SEND_CONTENT = fieldSpan('Send', 'content');
const PUSH_ID = fieldSpan('Message', 'id');
const PUSH_CONTENT = fieldSpan('Message', 'content');
const MESSAGE_OP = opcodeOf('Message');
const ACCEPTED_OP = opcodeOf('Accepted');
const OP_AT = HEADER_AT.opcode;
const LEN_AT = HEADER_AT.length;
const ID_AT = HEADER_AT.requestId;

let seq = 0;

export async function account(port: number, name: string): Promise<void> {
  const c = await ChatClient.connect({ port });
  try {
    await c.register(name, PASSWORD);
  } catch (err) {
    if (!(err instanceof ServerError && err.code === 'USERNAME_TAKEN')) throw err;
  } finally {
    await c.close();
  }
}

/** A Login answered with an Error frame (`answer` is its decoded form). */
class LoginRefused extends Error {
  constructor(readonly answer: { type: string; text?: string }) {
    super(`login failed: ${JSON.stringify(answer)}`);
  }
}

/**
 * Logins on a node other than the one the account was registered on that were refused ("wrong
 * username or password") and succeeded when repeated: the node had not heard of the account yet.
 */
export let loginRetries = 0;

/** Logs in on `port`, repeating a refused Login for up to 5 s (an account registered on another node a moment ago). */
async function loggedInElsewhere(port: number, name: string): Promise<net.Socket> {
  const end = Date.now() + 5000;
  for (;;) {
    try {
      return await loggedIn(port, name);
    } catch (err) {
      if (!(err instanceof LoginRefused) || Date.now() > end) throw err;
      loginRetries++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A raw socket logged in as `name`. */
export async function loggedIn(port: number, name: string): Promise<net.Socket> {
  const s = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.setNoDelay(true);
  const dec = new FrameDecoder();
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const f of dec.push(d)) {
        const m = decode(f.opcode, f.body);
        s.off('data', onData);
        if (m.type === 'LoginOk') resolve();
        else {
          s.destroy();
          reject(new LoginRefused(m as { type: string; text?: string }));
        }
      }
    };
    s.on('data', onData);
    s.write(encode({ type: 'Login', username: name, password: PASSWORD }, 1));
  });
  return s;
}

export const termchatWire: SystemDriver = {
  name: 'termchat',
  pair: (port) => wirePair(port, port),
};

/**
 * A pair whose sender is logged in on `senderPort` and recipient on `recipientPort`: two nodes of a
 * cluster (the accounts are registered on the sender's node), or the same server twice.
 */
export async function wirePair(senderPort: number, recipientPort: number): Promise<Pair> {
  const n = seq++;
  const [sName, rName] = [`ws${n}`, `wr${n}`];
  await account(senderPort, sName);
  await account(senderPort, rName);
  const sender = await loggedIn(senderPort, sName);
  const recipient = recipientPort === senderPort ? await loggedIn(recipientPort, rName) : await loggedInElsewhere(recipientPort, rName);
  const template = encode({ type: 'Send', recipient: rName, clientId: 1, flags: 0, content: '' }, 1);
  const writer = new FrameWriter(sender);
  let clientId = 1;
  const waiters: (() => void)[] = [];
  // Answers to Sends: Accepted (or Error) frames; only counted, in order.
  let pendingBytes = Buffer.alloc(0);
  sender.on('data', (d: Buffer) => {
    let buf = pendingBytes.length ? Buffer.concat([pendingBytes, d]) : d;
    let at = 0;
    while (buf.length - at >= HEADER_SIZE) {
      const len = buf.readUInt32BE(at + LEN_AT);
      if (buf.length - at < HEADER_SIZE + len) break;
      // Pushes (request id 0) are not answers; every answer should be Accepted.
      if (buf.readUInt32BE(at + ID_AT) !== 0) {
        if (buf[at + OP_AT] !== ACCEPTED_OP) p.errors++;
        waiters.shift()?.();
      }
      at += HEADER_SIZE + len;
    }
    buf = buf.subarray(at);
    pendingBytes = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  });
  const send = (content: string) => {
    const f = Buffer.allocUnsafe(template.length);
    template.copy(f, 0, 0, HEADER_SIZE + SEND_CONTENT.at);
    f.writeUInt32BE(clientId, HEADER_SIZE + CLIENT_ID.at);
    clientId = clientId >= maxValue(u32) ? 1 : clientId + 1;
    const w = f.write(content, HEADER_SIZE + SEND_CONTENT.at, SEND_CONTENT.size, 'latin1');
    f.fill(0, HEADER_SIZE + SEND_CONTENT.at + w);
    writer.write(f);
  };
  const p: Pair = {
    errors: 0,
    onDeliver: () => {},
    send,
    roundTrip: (content) =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        send(content);
      }),
    async close() {
      sender.destroy();
      recipient.destroy();
    },
  };
  let acked = 0;
  let rbuf = Buffer.alloc(0);
  const rwriter = new FrameWriter(recipient);
  recipient.on('data', (d: Buffer) => {
    let buf = rbuf.length ? Buffer.concat([rbuf, d]) : d;
    let at = 0;
    let last = 0;
    while (buf.length - at >= HEADER_SIZE) {
      const len = buf.readUInt32BE(at + LEN_AT);
      if (buf.length - at < HEADER_SIZE + len) break;
      if (buf[at + OP_AT] === MESSAGE_OP) {
        const body = at + HEADER_SIZE;
        last = buf.readUInt32BE(body + PUSH_ID.at);
        const c = body + PUSH_CONTENT.at;
        p.onDeliver(Number(buf.toString('latin1', c, buf.indexOf(0x20, c))));
      }
      at += HEADER_SIZE + len;
    }
    // One cumulative Ack per read, as an interactive client does: the server then need not write
    // to disk what was delivered and acknowledged before its group commit.
    if (last > acked) {
      acked = last;
      rwriter.frame({ type: 'Ack', upTo: last }, 1);
    }
    buf = buf.subarray(at);
    rbuf = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  });
  return p;
}
