/**
 * The two attacks of issue 8, each against a fresh termchat server, seen from outside: the server's
 * RSS (/proc) before and at its peak, and how long another client's Login and Send -> Accepted take
 * meanwhile. The attack frames are built with the codec; the attacker uses a raw socket only so that
 * it can write everything at once and (for the fetch attack) never read.
 */
import net from 'node:net';
import { ChatClient } from '../../src/protocol/client.js';
import { encode, opcodeOf, type Request } from '../../src/protocol/codec.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { contentFor, sleep } from './common.js';
import { rssSampler } from './procStats.js';
import { content } from '../../src/protocol/schema.js';

export interface AttackResult {
  rssBefore: number;
  rssPeak: number;
  /** Worst of the other client's samples during the attack, ms (a sample still pending at the end counts as its elapsed time, up to the window + 2 s). */
  loginMaxMs: number;
  sendMaxMs: number;
  /** Samples of the rarer kind (Login or Send) taken in the window. */
  samples: number;
}

const PW = 'bench password';

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Many copies of one request in one buffer, with increasing request ids from `firstId`. */
function pipeline(msg: Request, n: number, firstId: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(encode(msg, firstId + i));
  return Buffer.concat(frames);
}

/** Logs in on a raw socket and waits for LoginOk (or throws). */
async function rawLogin(sock: net.Socket, username: string): Promise<void> {
  const dec = new FrameDecoder();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('attacker login timed out')), 10_000);
    const onData = (d: Buffer) => {
      const f = dec.push(d)[0];
      if (!f) return;
      clearTimeout(t);
      sock.off('data', onData);
      if (f.opcode === opcodeOf('LoginOk')) resolve();
      else reject(new Error(`attacker login answered with opcode 0x${f.opcode.toString(16)}`));
    };
    sock.on('data', onData);
    sock.write(encode({ type: 'Login', username, password: PW }, 1));
  });
}

/**
 * Runs `attack` (which starts the attack) while another client keeps measuring Login and
 * Send -> Accepted (about every 250 ms each), for `windowMs`.
 */
async function underAttack(port: number, pid: number, tag: string, windowMs: number, attack: () => Promise<{ destroy(): void }>): Promise<AttackResult> {
  const other = `${tag}o`;
  const peer = `${tag}p`;
  const setup = await ChatClient.connect({ port });
  await setup.register(other, PW);
  await setup.register(peer, PW);
  await setup.close();
  // `other` sends (Send -> Accepted samples); `peer` is logged in afresh for each Login sample.
  const sender = await ChatClient.connect({ port });
  await sender.login(other, PW);
  await sender.send(peer, 'warm-up');
  await sleep(200);
  const rss = rssSampler(pid);
  const sock = await attack();
  const end = Date.now() + windowMs;
  /** Elapsed ms of `p`, or the elapsed time when the window (plus 2 s) runs out first. */
  const timed = async (p: () => Promise<unknown>) => {
    const t0 = performance.now();
    await Promise.race([p().catch(() => {}), sleep(Math.max(1, end + 2000 - Date.now()))]);
    return performance.now() - t0;
  };
  // Two independent loops, so a stalled Login does not hide a stalled Send (or the reverse).
  const sampler = async (once: () => Promise<unknown>) => {
    let worst = 0;
    let n = 0;
    while (Date.now() < end && n < 100) {
      worst = Math.max(worst, await timed(once));
      n++;
      await sleep(Math.min(250, Math.max(0, end - Date.now())));
    }
    return { worst, n };
  };
  let seq = 0;
  const [login, send] = await Promise.all([
    sampler(async () => {
      const c = await ChatClient.connect({ port });
      try {
        await c.login(peer, PW);
      } finally {
        void c.close();
      }
    }),
    sampler(() => sender.send(peer, contentFor(seq++, content.size))),
  ]);
  const { before, peak } = rss.stop();
  sock.destroy();
  void sender.close();
  return { rssBefore: before, rssPeak: peak, loginMaxMs: login.worst, sendMaxMs: send.worst, samples: Math.min(login.n, send.n) };
}

/**
 * Attack (a): `connections` logged-in clients, each with 200 queued 512-byte messages, each write
 * `frames` FetchUndelivered(200) frames in one write and never read.
 */
export async function fetchAttack(port: number, pid: number, windowMs: number, frames = 5000, connections = 1): Promise<AttackResult> {
  const attackers = Array.from({ length: connections }, (_, k) => `atkfetch${k}`);
  const filler = await ChatClient.connect({ port });
  await filler.register('atkfill', PW);
  await filler.login('atkfill', PW);
  for (const a of attackers) {
    await filler.register(a, PW);
    await Promise.all(Array.from({ length: 200 }, (_, i) => filler.send(a, contentFor(i, content.size))));
  }
  await filler.close();
  return underAttack(port, pid, 'fa', windowMs, async () => {
    const socks = await Promise.all(
      attackers.map(async (a) => {
        const sock = await rawConnect(port);
        sock.on('error', () => {});
        await rawLogin(sock, a);
        sock.pause(); // never reads again
        return sock;
      }),
    );
    for (const sock of socks) sock.write(pipeline({ type: 'FetchUndelivered', max: 200 }, frames, 2));
    // One handle that ends them all.
    return { destroy: () => socks.forEach((s) => s.destroy()) };
  });
}

/**
 * Attack (b): one unauthenticated connection pipelines `frames` Register frames for a name that already
 * exists, in one write (it reads and discards the answers).
 */
export async function registerAttack(port: number, pid: number, windowMs: number, frames = 1000): Promise<AttackResult> {
  const taken = 'atktaken';
  const c = await ChatClient.connect({ port });
  await c.register(taken, PW);
  await c.close();
  return underAttack(port, pid, 'ra', windowMs, async () => {
    const sock = await rawConnect(port);
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.write(pipeline({ type: 'Register', username: taken, password: 'attacker password' }, frames, 1));
    return sock;
  });
}
