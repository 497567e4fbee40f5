/**
 * The physical limit: a relay in a few lines of node:net that forwards fixed-size frames without
 * parsing them and without a store. A connection says who it is with an 8-byte hello (u32 pair id,
 * u8 role 1=sender 2=recipient); then every `frame` bytes a sender writes are forwarded to its
 * pair's recipient and answered with a 13-byte acknowledgement (termchat's Accepted frame size).
 * Writes are corked for the tick, so a burst leaves in one writev. Prints "raw relay listening on PORT".
 *
 * Usage: tsx bench/rawRelay.ts [--port N] [--frame BYTES]
 */
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, frame: { type: 'string', default: '541' } } });
const FRAME = Number(values.frame);
const ACK = 13;
const HELLO = 8;
const ACKS = Buffer.alloc(ACK * 4096);
const recipients = new Map<number, net.Socket>();

const corked = new Set<net.Socket>();
function write(s: net.Socket, b: Buffer): void {
  if (!corked.has(s)) {
    corked.add(s);
    s.cork();
    process.nextTick(() => {
      corked.delete(s);
      s.uncork();
    });
  }
  s.write(b);
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  let hello = Buffer.alloc(0);
  let pair = -1;
  let role = 0;
  let carry = 0; // bytes of a sender's current frame seen so far
  sock.on('error', () => {});
  sock.on('close', () => {
    if (role === 2 && recipients.get(pair) === sock) recipients.delete(pair);
  });
  sock.on('data', (chunk: Buffer) => {
    if (role === 0) {
      hello = Buffer.concat([hello, chunk]);
      if (hello.length < HELLO) return;
      pair = hello.readUInt32BE(0);
      role = hello[4]!;
      if (role === 2) recipients.set(pair, sock);
      chunk = hello.subarray(HELLO);
      if (chunk.length === 0) return;
    }
    if (role !== 1) return;
    const to = recipients.get(pair);
    if (to) write(to, chunk);
    const total = carry + chunk.length;
    let frames = Math.floor(total / FRAME);
    carry = total % FRAME;
    while (frames > 0) {
      const n = Math.min(frames, 4096);
      write(sock, ACKS.subarray(0, n * ACK));
      frames -= n;
    }
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`raw relay listening on ${(server.address() as net.AddressInfo).port}\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
