/**
 * `npm run fuzz`: throws random and mutated frames at a live `termchat-server` (a child process with
 * its own temporary data directory) from several connections at once, while a monitor pair of
 * ordinary clients keeps sending each other messages. Bounded in frames and in time. At the end it
 * prints the figures (frames, rate, server RSS, the monitor's round trips) and exits 1 if the
 * server died or the monitor was not served throughout.
 *
 * Flags: --frames N (default 1,000,000), --seconds S (time bound, default 300), --conns N (default 8),
 * --seed N.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatClient } from '../src/protocol/client.js';
import { encode, type Message } from '../src/protocol/codec.js';
import { FrameDecoder, HEADER_SIZE, writeHeader } from '../src/protocol/framing.js';
import { schema } from '../src/protocol/schema.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const TARGET = arg('--frames', 1_000_000);
const SECONDS = arg('--seconds', 300);
const CONNS = arg('--conns', 8);
let seed = arg('--seed', Date.now() % 2 ** 31) >>> 0;
const SEED = seed;

/** xorshift32: reproducible with --seed. */
function rand(): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const PW = 'fuzz password';
/** Valid frames of every message of the schema (requests, and responses and pushes a server must refuse). */
const valid: Message[] = [
  { type: 'Register', username: 'fz-new', password: PW },
  { type: 'Login', username: 'fz-target', password: PW },
  { type: 'Logout' },
  { type: 'ListAccounts', pattern: 'fz*', offset: 0, limit: 10 },
  { type: 'Send', recipient: 'fz-target', clientId: 7, flags: 0, content: 'fuzzed hello' },
  { type: 'Send', recipient: 'fz-target', clientId: 0, flags: 4, content: 'x'.repeat(512) },
  { type: 'FetchUndelivered', max: 50 },
  { type: 'Ack', upTo: 0xffffffff },
  { type: 'Ping' },
  { type: 'DeleteAccount', password: 'not the password', confirm: 0 },
  { type: 'Ok' },
  { type: 'Error', code: 3, text: 'x' },
  { type: 'Pong' },
  { type: 'KeepAlive' },
  { type: 'Message', id: 1, sender: 'a', clientId: 1, flags: 0, sentAt: 0, content: 'hi' },
  { type: 'MessageBatch', remaining: 0, messages: [{ id: 1, sender: 'a', clientId: 1, flags: 0, sentAt: 0, content: 'hi' }] },
];
const templates = valid.map((m) => encode(m, 1));
const opcodes = Object.values(schema).map((d) => d.op);

/** One fuzzed frame (or garbage). */
function fuzzFrame(): Buffer {
  const kind = rand();
  if (kind < 0.45) {
    // A valid frame with a few bytes changed (header or body), maybe truncated or extended.
    const f = Buffer.from(pick(templates));
    const flips = 1 + int(4);
    for (let i = 0; i < flips; i++) {
      // Mostly the body, sometimes the opcode or request id. Not the length: a wrong length loses the
      // frame boundaries for the rest of the batch, so it is a batch's last frame (see garbage()).
      const at = rand() < 0.2 ? 4 + int(HEADER_SIZE - 4) : HEADER_SIZE + int(Math.max(1, f.length - HEADER_SIZE));
      if (at < f.length) f[at] = rand() < 0.5 ? int(256) : pick([0, 0x1b, 0x07, 0x0a, 0x7f, 0x80, 0xff, 0x20]);
    }
    // A body cut short or one byte too long, the header saying so (else the boundaries are lost).
    if (rand() < 0.1) {
      const cut = Buffer.from(f.subarray(0, HEADER_SIZE + int(f.length - HEADER_SIZE + 1)));
      cut.writeUInt32BE(cut.length - HEADER_SIZE, 0);
      return cut;
    }
    if (rand() < 0.05) {
      const longer = Buffer.concat([f, Buffer.from([int(256)])]);
      longer.writeUInt32BE(longer.length - HEADER_SIZE, 0);
      return longer;
    }
    return f;
  }
  if (kind < 0.9) {
    // A well-formed header (known or random opcode, body length anywhere from 0 to a bit past the
    // largest message) and a random body of that length.
    const n = rand() < 0.9 ? int(700) : int(4096);
    const f = Buffer.alloc(HEADER_SIZE + n);
    // Request ids below the markers' range (a fuzzed Ping must not pass for a marker).
    writeHeader(f, 0, rand() < 0.7 ? pick(opcodes) : int(256), int(MARK), n);
    for (let i = HEADER_SIZE; i < f.length; i++) f[i] = rand() < 0.5 ? 0 : int(256);
    return f;
  }
  // A valid request, so the session goes on doing real work between the garbage.
  return pick(templates.slice(0, 10));
}

/** Bytes that may not even frame (random bytes, or a valid frame with its length changed): the server may have to hang up. */
function garbage(): Buffer {
  if (rand() < 0.5) {
    const f = Buffer.from(pick(templates));
    f[int(4)] = int(256);
    return f;
  }
  const g = Buffer.alloc(1 + int(64));
  for (let i = 0; i < g.length; i++) g[i] = int(256);
  return g;
}

/** Request ids of the Ping that closes each batch: its Pong says the server read the whole batch. */
const MARK = 0xf0000000;
const PONG = schema.Pong.op;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-fuzz-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/server/main.ts', '--port', '0', '--data', dir, '--scrypt-cost', '1024', '--log-level', 'error',
      // Throttling has its own tests; here it would only slow the fuzzers' own logins down.
      '--login-delay-ms', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // However this script ends (a bug of its own included), the server goes with it.
  process.on('exit', () => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  let crashed: string | undefined;
  child.once('exit', (code, signal) => (crashed = `server exited: code ${code}, signal ${signal}`));

  // The accounts the fuzzed frames name, and the monitor pair.
  const setup = await ChatClient.connect({ port });
  for (const n of ['fz-target', 'fz-mon-a', 'fz-mon-b']) await setup.register(n, PW);
  await setup.close();
  const monA = await ChatClient.connect({ port });
  const monB = await ChatClient.connect({ port });
  await monA.login('fz-mon-a', PW);
  await monB.login('fz-mon-b', PW);

  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  const rss0 = rssMiB(child.pid!);
  let rssMax = rss0;
  /** Frames written, and frames the server is known to have read (their batch's Ping was answered). */
  let frames = 0;
  let confirmed = 0;
  let bytes = 0;
  let connections = 0;
  let done = false;

  async function fuzzer(): Promise<void> {
    while (!done && !crashed) {
      connections++;
      const s = net.connect({ port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      // Reads every answer (so the server never waits on us), watching for the batch markers' Pongs.
      const dec = new FrameDecoder();
      const sizes: number[] = [];
      let answered = -1;
      let wake: (() => void) | undefined;
      s.on('data', (d: Buffer) => {
        try {
          for (const f of dec.push(d)) {
            if (f.requestId >= MARK && f.opcode === PONG && f.requestId - MARK < sizes.length) {
              answered = Math.max(answered, f.requestId - MARK);
              wake?.();
            }
          }
        } catch {
          // The server's stream is always well-formed; a decoder error would be ours.
        }
      });
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      await new Promise<void>((resolve) => s.once('connect', resolve).once('close', resolve));
      // Half the connections log in first, so requests that need a session reach the service.
      if (rand() < 0.5) s.write(encode({ type: 'Login', username: 'fz-target', password: PW }, 1));
      let open = true;
      void closed.then(() => {
        open = false;
        wake?.();
      });
      for (let k = 0; open && !done && !crashed; k++) {
        const batch: Buffer[] = [];
        for (let i = 0; i < 256; i++) batch.push(fuzzFrame());
        // Now and then the batch ends in bytes that cannot be framed (then no marker: a fresh connection follows).
        const last = rand() < 0.05;
        if (last) batch.push(garbage());
        else batch.push(encode({ type: 'Ping' }, MARK + k));
        const buf = Buffer.concat(batch);
        frames += batch.length;
        sizes[k] = batch.length;
        bytes += buf.length;
        s.write(buf);
        // At most two batches ahead of the server's reading.
        while (open && answered < k - 1 && !crashed) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 1000);
          });
        }
        for (let j = 0; j <= answered; j++) {
          confirmed += sizes[j] ?? 0;
          sizes[j] = 0;
        }
        if (confirmed >= TARGET || performance.now() > deadline) done = true;
        if (last || rand() < 0.01) break;
      }
      // The last batch or two, if the server got to them.
      if (open) {
        const until = performance.now() + 5000;
        while (open && answered < sizes.length - 1 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (let j = 0; j <= answered; j++) confirmed += sizes[j] ?? 0;
      s.destroy();
      await closed;
    }
  }

  // The monitor: a message from A to B and its push, over and over, with a bound on each.
  const rtts: number[] = [];
  let monitorFailures = 0;
  let monitorError = '';
  const received = new Map<string, () => void>();
  monB.on('message', (m) => {
    received.get(m.content)?.();
    void monB.ack(m.id).catch(() => undefined);
  });
  async function monitor(): Promise<void> {
    let i = 0;
    while (!done && !crashed) {
      const text = `monitor ${i++}`;
      const start = performance.now();
      try {
        const pushed = new Promise<void>((resolve) => received.set(text, resolve));
        await Promise.race([
          Promise.all([monA.send('fz-mon-b', text), pushed]),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000)),
        ]);
        rtts.push(performance.now() - start);
      } catch (err) {
        monitorFailures++;
        monitorError = (err as Error).message;
      }
      received.delete(text);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const sampler = setInterval(() => {
    if (crashed) return;
    rssMax = Math.max(rssMax, rssMiB(child.pid!));
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(`\r${confirmed.toLocaleString('en')} frames read by the server, ${s.toFixed(0)} s, RSS ${rssMax.toFixed(0)} MiB max   `);
  }, 500);
  await Promise.all([...Array.from({ length: CONNS }, fuzzer), monitor()]);
  clearInterval(sampler);
  const secs = (performance.now() - t0) / 1000;
  const alive = !crashed;
  const rssEnd = alive ? rssMiB(child.pid!) : NaN;
  // After the storm: the server still answers an ordinary client.
  let after = 'not checked';
  if (alive) {
    try {
      const c = await ChatClient.connect({ port });
      await c.ping();
      await c.login('fz-mon-a', PW);
      await c.close();
      after = 'ok';
    } catch (err) {
      after = `failed: ${(err as Error).message}`;
    }
  }
  await Promise.all([monA.close(), monB.close()]);
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  fs.rmSync(dir, { recursive: true, force: true });

  rtts.sort((a, b) => a - b);
  const q = (p: number) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]!.toFixed(1) : 'n/a');
  const lines = [
    '',
    `seed ${SEED}`,
    `frames written: ${frames.toLocaleString('en')} (${(bytes / 1048576).toFixed(0)} MiB) over ${connections.toLocaleString('en')} connections; confirmed read by the server (a Ping after them answered): ${confirmed.toLocaleString('en')} in ${secs.toFixed(1)} s = ${Math.round(confirmed / secs).toLocaleString('en')} frames/s`,
    `server: ${alive ? 'alive' : crashed}; RSS ${rss0.toFixed(0)} MiB at start, ${rssMax.toFixed(0)} MiB max, ${rssEnd.toFixed(0)} MiB at end`,
    `monitor (send -> push round trips during the run): ${rtts.length} ok, ${monitorFailures} failed${monitorError ? ` (${monitorError})` : ''}; p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`,
    `ordinary client after the run: ${after}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const ok = alive && monitorFailures === 0 && after === 'ok' && confirmed >= TARGET;
  if (!ok && stderr) process.stdout.write(`server stderr (last part):\n${stderr.slice(-4000)}\n`);
  process.exit(ok ? 0 : 1);
}

void main();
