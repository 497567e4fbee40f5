/**
 * `npm run bench:server`: the two server figures alone, against an in-process server on a temp data
 * directory (the full side-by-side table is `npm run bench`). Same measurements as bench/run.ts:
 *  1. throughput: one sender pipelining Send (1000 in flight) to one online recipient; msg/s delivered.
 *  2. latency: send -> push p50/p99/p99.9 at a fixed moderate rate, measured by the recipient (hrtime).
 * `--memory-store` runs the server on the in-memory store (not durable), to show what the disk costs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server/server.js';
import { pushLatency, relayThroughput } from './lib/figures.js';
import { termchat } from './lib/systems.js';

const quick = process.argv.includes('--quick');
const timing = quick ? { warmMs: 300, runMs: 1500 } : { warmMs: 1000, runMs: 5000 };
const RATE = 2000;
const SIZE = 100;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-bench-'));
const memory = process.argv.includes('--memory-store');
const server = await startServer({ port: 0, dataDir: dir, scryptCost: 1024, store: memory ? 'memory' : 'sqlite' });
console.log(`server in-process, ${memory ? 'in-memory store (NOT durable)' : `data in ${dir}`}`);
try {
  const rate = await relayThroughput(termchat, server.port, 1, 1000, SIZE, timing);
  console.log(`throughput: ${Math.round(rate)} msg/s delivered (1 pair, 1000 in flight, ${SIZE}-byte content)`);
  const lat = await pushLatency(termchat, server.port, RATE, SIZE, timing);
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  console.log(`latency at ${RATE} msg/s: send->push p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, p99.9 ${ms(lat.p999)}, not delivered ${lat.lost}`);
} finally {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
