/**
 * `npm run bench:server`: an in-process server on a temp data directory, one sender pipelining Send
 * to one online recipient over loopback.
 *  1. throughput: N messages with up to WINDOW outstanding; messages/s delivered (pushed) end to end.
 *  2. latency: a fixed moderate rate for a few seconds; p50/p99 from send() to the push arriving,
 *     measured with process.hrtime.bigint in this process.
 * Bounded in time: each phase stops at its deadline whatever happens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../src/protocol/client.js';
import { startServer } from '../src/server/server.js';

const quick = process.argv.includes('--quick');
const TOTAL = quick ? 20_000 : 100_000;
const WINDOW = 1000;
const RATE = 2000; // messages per second in the latency phase
const SECONDS = quick ? 2 : 5;
const DEADLINE_MS = 25_000;
const CONTENT = 'x'.repeat(100);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-bench-'));
  const windowArg = process.argv.find((a) => a.startsWith('--commit-window='));
  const commitWindowMs = windowArg ? Number(windowArg.split('=')[1]) : undefined;
  const server = await startServer({ port: 0, dataDir: dir, scryptCost: 1024, commitWindowMs });
  console.log(`server in-process, data in ${dir}, group-commit window ${commitWindowMs ?? '0 (default)'} ms`);
  try {
    const a = await ChatClient.connect({ port: server.port });
    const b = await ChatClient.connect({ port: server.port });
    await a.register('sender', 'pw');
    await a.register('receiver', 'pw');
    await a.login('sender', 'pw');
    await b.login('receiver', 'pw');

    // Acks go back in batches, as a real client would do.
    let lastId = 0;
    const ackTimer = setInterval(() => {
      if (lastId) void b.ack(lastId).catch(() => undefined);
    }, 50);

    // Phase 1: throughput.
    let delivered = 0;
    let done: () => void = () => undefined;
    const allDelivered = new Promise<void>((resolve) => (done = resolve));
    const onMsg = (m: { id: number }) => {
      lastId = m.id;
      if (++delivered === TOTAL) done();
    };
    b.on('message', onMsg);
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + DEADLINE_MS;
    let sent = 0;
    let inFlight = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (inFlight < WINDOW && sent < TOTAL && Date.now() < deadline) {
          sent++;
          inFlight++;
          a.send('receiver', CONTENT).then(() => {
            inFlight--;
            if (sent < TOTAL && Date.now() < deadline) pump();
            else if (inFlight === 0) resolve();
          }, reject);
        }
      };
      pump();
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allDelivered, new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
    clearTimeout(timer);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    b.off('message', onMsg);
    console.log(`throughput: ${delivered} of ${sent} messages delivered in ${secs.toFixed(2)} s = ${Math.round(delivered / secs)} msg/s (window ${WINDOW})`);

    // Phase 2: latency at a fixed rate.
    const started = new Map<string, bigint>();
    const lat: number[] = [];
    b.on('message', (m) => {
      lastId = m.id;
      const s = started.get(m.content);
      if (s !== undefined) {
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
        started.delete(m.content);
      }
    });
    const n = RATE * SECONDS;
    const begin = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      // Pace by the clock: send whatever is due, then wait for the next millisecond tick.
      const due = begin + BigInt(Math.round((i * 1e9) / RATE));
      while (process.hrtime.bigint() < due) await new Promise((r) => setTimeout(r, 1));
      const content = `lat ${i} ${CONTENT}`;
      started.set(content, process.hrtime.bigint());
      void a.send('receiver', content);
    }
    const until = Date.now() + 5000;
    while (started.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    lat.sort((x, y) => x - y);
    const pct = (p: number) => (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN).toFixed(2);
    console.log(`latency at ${RATE} msg/s for ${SECONDS} s: ${lat.length} delivered, send->push p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);

    clearInterval(ackTimer);
    await a.close();
    await b.close();
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const tStart = Date.now();
await main();
console.log(`total ${((Date.now() - tStart) / 1000).toFixed(1)} s`);
