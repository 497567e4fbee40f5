/**
 * `npm run bench:relay`: the relay figures alone, for working on the server core. termchat (its
 * server as a child process, through the lean wire driver) and the raw relay, alternating A B A B,
 * each run's throughput and the server process's CPU time per relayed message.
 * Flags: --pairs N (default 1), --runs N (default 3), --ms N (measured time per run, default 3000),
 * --memory-store (termchat on the in-memory store: what the disk costs), --server FILE (another
 * build's dist/server/main.js, for a before/after pair), --server-args "FLAGS" (extra server flags),
 * --node-flags "FLAGS" (for the server's node), --alloc (bytes allocated per message, from V8's GC trace).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { contentFor, ROOT, spawnTs, stopChild, waitLine } from './lib/common.js';
import { relayThroughput } from './lib/figures.js';
import { rawDriver, type SystemDriver } from './lib/systems.js';
import { termchatWire } from './lib/termchatWire.js';
import { encode } from '../src/protocol/codec.js';
import { content } from '../src/protocol/schema.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const pairs = opt('--pairs', 1);
const runs = opt('--runs', 3);
const ms = opt('--ms', 3000);
const memory = argv.includes('--memory-store');
const profileDir = argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined;
/** `--server FILE`: another build's server (a before/after pair); `--server-args "..."`: extra flags for it. */
const serverMain = argv.includes('--server') ? argv[argv.indexOf('--server') + 1]! : 'dist/server/main.js';
/** `--node-flags "..."`: V8/Node flags for the server process (e.g. a young-generation size). */
/** `--alloc`: also report the bytes the server's event loop allocates per relayed message (V8's GC trace). */
const alloc = argv.includes('--alloc');
const nodeFlags = [
  ...(argv.includes('--node-flags') ? argv[argv.indexOf('--node-flags') + 1]!.split(' ').filter(Boolean) : []),
  ...(alloc ? ['--trace-gc', '--trace-gc-nvp'] : []),
];
/** Bytes allocated since the server started, from its GC trace (each GC says what was allocated since the one before). */
let allocated = 0;
const extra = argv.includes('--server-args') ? argv[argv.indexOf('--server-args') + 1]!.split(' ').filter(Boolean) : [];
const CONTENT = content.size;
const SEND_FRAME = encode({ type: 'Send', recipient: 'x', clientId: 1, flags: 0, content: contentFor(0, CONTENT) }, 1).length;

/** utime + stime in seconds of a process (Linux /proc/PID/stat), or of one of its threads. */
function cpuSeconds(pid: number, tid?: number): number {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const f = fs.readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function one(name: string, driver: SystemDriver, start: () => Promise<{ port: number; pid: number; stop: () => Promise<void> }>) {
  const s = await start();
  try {
    let delivered = 0;
    const alloc0 = allocated;
    const counting: SystemDriver = {
      name,
      async pair(port) {
        const p = await driver.pair(port);
        const inner = p;
        return new Proxy(inner, {
          set(target, prop, value) {
            if (prop === 'onDeliver') {
              const f = value as (seq: number) => void;
              target.onDeliver = (seq) => {
                if (seq >= 0) delivered++;
                f(seq);
              };
              return true;
            }
            return Reflect.set(target, prop, value);
          },
        });
      },
    };
    const cpu0 = cpuSeconds(s.pid);
    const main0 = cpuSeconds(s.pid, s.pid);
    const d0 = delivered;
    const rate = await relayThroughput(counting, s.port, pairs, pairs === 1 ? 1000 : 256, CONTENT, { warmMs: 500, runMs: ms });
    const n = delivered - d0;
    const us = ((cpuSeconds(s.pid) - cpu0) * 1e6) / n;
    const mainUs = ((cpuSeconds(s.pid, s.pid) - main0) * 1e6) / n;
    // Over the warm-up and the run alike: every message the server relayed.
    return { rate, us, mainUs, bytesPerMsg: (allocated - alloc0) / delivered };
  } finally {
    await s.stop();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-relay-'));
const termchat = async () => {
  const args = ['--port', '0', '--data', path.join(dir, `d${Date.now()}`), '--scrypt-cost', '2', ...(memory ? ['--store', 'memory'] : []), ...extra];
  const child = spawn(process.execPath, [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), serverMain, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const c = await waitLine(child, /^termchat-server listening on [^:]+:(\d+)/);
  if (alloc) {
    child.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString('latin1').matchAll(/ allocated=(\d+)/g)) allocated += Number(m[1]);
    });
  }
  return { port: Number(c.match[1]), pid: c.child.pid!, stop: () => stopChild(c.child) };
};
const raw = async () => {
  const c = await spawnTs('bench/rawRelay.ts', ['--frame', String(SEND_FRAME)], /^raw relay listening on (\d+)$/);
  return { port: Number(c.match[1]), pid: c.child.pid!, stop: () => stopChild(c.child) };
};
for (let i = 0; i < runs; i++) {
  const a = await one('termchat', termchatWire, termchat);
  const b = await one('raw', rawDriver(SEND_FRAME), raw);
  console.log(
    `run ${i + 1}: termchat ${Math.round(a.rate)} msg/s (${a.us.toFixed(1)} us CPU/msg, event loop ${a.mainUs.toFixed(1)}${alloc ? `, ${Math.round(a.bytesPerMsg)} B allocated/msg` : ''}) | raw ${Math.round(b.rate)} msg/s (${b.us.toFixed(1)} us CPU/msg) | ratio ${(a.rate / b.rate).toFixed(2)}`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
