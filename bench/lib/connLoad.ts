/**
 * Idle logged-in clients for the connection figure, in their own process (so the server's RSS is
 * the server's alone). Reads "grow N" lines on stdin, opens clients up to N, answers "ready N".
 * Usage: tsx bench/lib/connLoad.ts termchat|grpc|raw|irc PORT
 */
import net from 'node:net';
import readline from 'node:readline';
import { ChatClient } from '../../src/protocol/client.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { username } from '../../src/protocol/schema.js';

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);
const keep: unknown[] = [];
const PASSWORD = 'bench password';
const run = `${process.pid.toString(36)}`;

function sock(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

async function one(i: number): Promise<void> {
  const name = `c${run}${i}`.slice(0, username.size);
  switch (kind) {
    case 'termchat': {
      const c = await ChatClient.connect({ port });
      await c.register(name, PASSWORD);
      await c.login(name, PASSWORD);
      keep.push(c);
      return;
    }
    case 'grpc': {
      const c = await GrpcChatClient.connect({ port });
      await c.register(name, PASSWORD);
      await c.login(name, PASSWORD);
      await c.subscribe();
      keep.push(c);
      return;
    }
    case 'raw': {
      const s = await sock();
      const hello = Buffer.alloc(8);
      hello.writeUInt32BE(1_000_000 + i, 0);
      hello[4] = 2;
      s.write(hello);
      keep.push(s);
      return;
    }
    case 'irc': {
      const s = await sock();
      s.setEncoding('latin1');
      await new Promise<void>((resolve, reject) => {
        let acc = '';
        s.on('data', (d: string) => {
          acc += d;
          if (/ 001 /.test(acc)) resolve();
          else if (/ 4\d\d /.test(acc)) reject(new Error(acc));
          if (d.startsWith('PING')) s.write(`PONG${d.slice(4)}`);
          if (acc.length > 4096) acc = acc.slice(-512);
        });
        s.write(`NICK ${name}\r\nUSER ${name} 0 * :idle\r\n`);
      });
      keep.push(s);
      return;
    }
    default:
      throw new Error(`unknown system ${kind}`);
  }
}

let opened = 0;
let done = 0;
// Progress, so a caller that gives up can still say how far it got.
setInterval(() => process.stdout.write(`progress ${done}\n`), 1000).unref();
async function grow(n: number): Promise<void> {
  const CONCURRENCY = 64;
  let next = opened;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      await one(i);
      done++;
    }
  });
  await Promise.all(workers);
  opened = n;
}

const rl = readline.createInterface({ input: process.stdin });
process.stdout.write('load ready 0\n');
rl.on('line', (line) => {
  const m = /^grow (\d+)$/.exec(line.trim());
  if (!m) return;
  const n = Number(m[1]);
  grow(n).then(
    () => process.stdout.write(`ready ${n}\n`),
    (err: unknown) => process.stdout.write(`failed ${n} ${(err as Error).message.replace(/\s+/g, ' ')}\n`),
  );
});
rl.on('close', () => process.exit(0));
