/**
 * `npm run chaos`: termchat-server nodes, chat clients over TCP and gRPC, and a seeded fault schedule
 * (kill -9, SIGSTOP, PostgreSQL stopped, links cut and held, client restarts, silent-socket floods);
 * then a quiet settle and the checks of the promises end to end (scripts/chaos/checks.ts). The seed
 * is printed at the start and with any failure: `--seed S` plays the same schedule again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../src/protocol/client.js';
import { makeCert, type Cert } from '../test/lib/cert.js';
import type { ChaosClient } from './chaos/client.js';
import { check, format, type Bounds } from './chaos/checks.js';
import { describeFault, plan } from './chaos/faults.js';
import { Ledger } from './chaos/ledger.js';
import { ServerNode } from './chaos/nodes.js';
import { parseOptions } from './chaos/options.js';
import { findPgBin, PrivatePostgres } from './chaos/postgres.js';
import { Prng, randomSeed } from './chaos/prng.js';
import { settle } from './chaos/settle.js';
import { World } from './chaos/world.js';

const opts = parseOptions(process.argv.slice(2));
const seed = opts.seed ?? randomSeed();
const rng = new Prng(seed);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-chaos-'));
const logFile = fs.openSync(path.join(dir, 'chaos.log'), 'a');
let t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`.padStart(7);
const log = (line: string) => {
  fs.writeSync(logFile, `${stamp()} ${line}\n`);
  if (opts.verbose) console.log(`${stamp()} ${line}`);
};
const say = (line: string) => {
  fs.writeSync(logFile, `${stamp()} ${line}\n`);
  console.log(line);
};

const PASSWORD = 'chaos password';
/** Normal service between two faults of the infrastructure (node or database). */
const INFRA_REST_MS = 3000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const bounds: Bounds = {
  // The longest stall a live link survives is the heartbeat's (idle + answer), then it is given up; 10 s leaves room for load.
  live: 10_000,
  // Reconnect backoff tops at 5 s (src/tui/session.ts BACKOFF); a login and a fetch take well under a second.
  recovery: 10_000,
  // At the steady rate a served client hears an Accepted every 1/rate s; three of those, and never less than 5 s.
  gapSlack: Math.max(5000, 3000 / opts.rate),
  rssMiB: opts.rssBudget,
};

let world: World | undefined;
let pg: PrivatePostgres | undefined;

async function teardown(): Promise<void> {
  await world?.close().catch(() => undefined);
  const pgDir = await pg?.remove(opts.keep);
  if (opts.keep) say(`kept: ${dir}${pgDir ? ` and ${pgDir}` : ''}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  say(`interrupted; seed ${seed}`);
  void teardown().finally(() => process.exit(130));
});

async function main(): Promise<boolean> {
  say(`chaos: seed ${seed} (repeat with --seed ${seed}), mode ${opts.mode}, ${opts.nodes} node(s), ${opts.clients} clients (${opts.grpcClients} gRPC), ${opts.seconds} s, faults: ${opts.faults.join(',') || 'none'}`);
  const cert = await makeCert(dir);
  const tls: Cert | undefined = typeof cert === 'string' ? undefined : cert;
  if (typeof cert === 'string') say(`chaos: no TLS (${cert}); the silent sockets hit plain ports`);
  let store = 'sqlite';
  if (opts.mode === 'pg') {
    const bin = findPgBin();
    if (!bin) throw new Error('no PostgreSQL binaries (initdb, pg_ctl) found; install PostgreSQL 15, set TERMCHAT_CHAOS_PG_BIN, or use --mode sqlite');
    pg = await PrivatePostgres.create(bin);
    store = pg.url('chaos');
    log(`private PostgreSQL on port ${pg.port}`);
  }
  const ledger = new Ledger();
  const extra = ['--scrypt-cost', '1024', '--log-level', 'warn', '--lease-ms', '3000', '--auth-timeout-ms', '4000'];
  const nodes = await Promise.all(
    Array.from({ length: opts.nodes }, (_, i) => ServerNode.create(i, { store, dir, nofile: opts.nofile, tls, extra })),
  );
  await Promise.all(nodes.map((n) => n.start()));
  world = new World(nodes, pg, ledger, opts.flood, log);

  // Accounts first, straight to a node; then each client logs in through its taps.
  const admin = await ChatClient.connect({ port: nodes[0]!.port, tls: tls ? { ca: tls.ca } : undefined });
  const kinds = new Map<string, string>();
  const clients: ChaosClient[] = [];
  for (let i = 0; i < opts.clients; i++) {
    const kind = i >= opts.clients - opts.grpcClients ? 'grpc' : 'tcp';
    const name = `c${i}-${kind}`;
    await admin.register(name, PASSWORD);
    kinds.set(name, kind);
    clients.push(await world.addClient(name, PASSWORD, kind, tls?.ca));
  }
  await admin.close();
  for (const c of clients) c.start();
  const deadline = Date.now() + 60_000;
  while (!clients.every((c) => c.isLoggedIn)) {
    if (Date.now() > deadline) throw new Error(`clients not logged in after 60 s: ${clients.filter((c) => !c.isLoggedIn).map((c) => c.name).join(', ')}`);
    await sleep(50);
  }

  const schedule = plan(rng.fork('faults'), opts.faults, opts.seconds, opts.faultEvery, opts.nodes, opts.clients);
  const byKind: Record<string, number> = {};
  for (const f of schedule) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  say(`chaos: ${schedule.length} faults planned ${JSON.stringify(byKind)}`);
  for (const f of schedule) log(`planned: ${describeFault(f, (i) => clients[i]!.name)}`);

  // The fault phase: steady pipelined sending, faults as planned, memory sampled.
  t0 = Date.now();
  const sampler = setInterval(() => nodes.forEach((n) => n.sampleRss()), 1000);
  let sending = true;
  const senders = clients.map(async (c) => {
    const r = rng.fork(`send:${c.name}`);
    const peers = clients.filter((p) => p !== c);
    while (sending) {
      await sleep((1000 / opts.rate) * (0.5 + r.next()));
      if (sending) c.write(r.pick(peers).name);
    }
  });
  let infra: Promise<void> = Promise.resolve();
  const perClient = new Map<number, Promise<void>>();
  const running = schedule.map(async (f) => {
    await sleep(f.at);
    const go = () => {
      // An infrastructure fault queued behind others past the end of the phase is left out.
      if (Date.now() > t0 + opts.seconds * 1000) return log(`skipped (phase over): ${describeFault(f, (i) => clients[i]!.name)}`);
      log(`fault: ${describeFault(f, (i) => clients[i]!.name)}`);
      return world!.apply(f).catch((err: unknown) => say(`fault failed: ${describeFault(f, (i) => clients[i]!.name)}: ${(err as Error).message}`));
    };
    // After each, a rest: back-to-back outages would leave the database up for milliseconds at a time.
    if (f.kind === 'kill' || f.kind === 'stop' || f.kind === 'pg') return (infra = infra.then(go).then(() => sleep(INFRA_REST_MS)));
    if (f.kind === 'link' || f.kind === 'restart') {
      const p = (perClient.get(f.target) ?? Promise.resolve()).then(go);
      perClient.set(f.target, p);
      return p;
    }
    return go();
  });
  const progress = setInterval(() => {
    const accepted = [...ledger.sent.values()].filter((s) => s.acceptedId !== undefined).length;
    const delivered = [...ledger.deliveries.values()].reduce((a, l) => a + l.length, 0);
    say(`${stamp()} ${ledger.sent.size} written, ${accepted} accepted, ${delivered} deliveries, ${ledger.faults.length} faults done`);
  }, 15_000);
  await sleep(opts.seconds * 1000);
  sending = false;
  await Promise.all([...senders, ...running, infra]);
  await world.heal();
  say(`${stamp()} faults over; settling (at most ${opts.settle} s)`);

  const doneAt = await settle(clients, ledger, opts.settle * 1000, log);
  clearInterval(sampler);
  clearInterval(progress);
  const rows = check({
    ledger,
    t0,
    kinds,
    doneAt,
    end: Date.now(),
    nodes: nodes.map((n) => ({ name: n.name, maxRss: n.maxRss, samples: n.samples, crashes: n.crashes })),
    bounds,
  });
  const floods = world.floods;
  if (floods.length > 0) {
    const opened = floods.reduce((a, f) => a + f.opened, 0);
    const closed = floods.reduce((a, f) => a + f.closedByServer, 0);
    rows.push({ check: 'silent sockets closed by the nodes (flood)', status: 'note', counts: `${floods.length} floods, ${opened} sockets opened, ${closed} closed by a node before the flood let go`, examples: [] });
  }
  say(`\n${format(rows)}\n`);
  const failed = rows.filter((r) => r.status === 'FAIL');
  say(failed.length === 0 ? `chaos: all checks passed (seed ${seed})` : `chaos: ${failed.length} check(s) FAILED; repeat with --seed ${seed}`);
  return failed.length === 0;
}

main()
  .then(
    async (ok) => {
      await teardown();
      process.exit(ok ? 0 : 1);
    },
    async (err: unknown) => {
      say(`chaos: the run broke down: ${(err as Error).stack ?? String(err)}\nseed ${seed}`);
      await teardown();
      process.exit(1);
    },
  );
