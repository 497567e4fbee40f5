/** The measurements, each against any SystemDriver (or client API), returning plain numbers. */
import { contentFor, percentile, waitFor } from './common.js';
import { countingProxy } from './countingProxy.js';
import type { Pair, SystemDriver } from './systems.js';

export interface Timing {
  warmMs: number;
  runMs: number;
}

/** Called at the start and end of a measured window (after warm-up), e.g. to read the server's CPU time. */
export interface WindowHooks {
  start?: () => void;
  /** `delivered`: messages delivered inside the window, which lasted `seconds`. */
  end?: (delivered: number, seconds: number) => void;
}

/** Messages/s delivered end to end with `pairs` pairs, each keeping `window` messages in flight. */
export async function relayThroughput(d: SystemDriver, port: number, pairs: number, window: number, size: number, t: Timing, hooks: WindowHooks = {}): Promise<number> {
  const ps: Pair[] = [];
  for (let i = 0; i < pairs; i++) ps.push(await d.pair(port));
  let running = true;
  let delivered = 0;
  const state = ps.map(() => ({ sent: 0, got: 0 }));
  const pump = (i: number) => {
    const st = state[i]!;
    const p = ps[i]!;
    while (running && st.sent - st.got < window) p.send(contentFor(st.sent++, size));
  };
  ps.forEach((p, i) => {
    p.onDeliver = (seq) => {
      if (!(seq >= 0)) return;
      state[i]!.got++;
      delivered++;
      pump(i);
    };
    pump(i);
  });
  await new Promise((r) => setTimeout(r, t.warmMs));
  hooks.start?.();
  const c0 = delivered;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, t.runMs));
  const c1 = delivered;
  const t1 = process.hrtime.bigint();
  hooks.end?.(c1 - c0, Number(t1 - t0) / 1e9);
  running = false;
  await waitFor(() => state.every((s) => s.got >= s.sent), 15_000);
  const errors = ps.reduce((n, p) => n + p.errors, 0);
  await Promise.all(ps.map((p) => p.close()));
  if (errors) throw new Error(`${d.name}: ${errors} sends refused`);
  return ((c1 - c0) * 1e9) / Number(t1 - t0);
}

export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  /** Messages not delivered within the drain timeout. */
  lost: number;
}

/** Send -> push latency in ms at a fixed offered rate, measured by the recipient with hrtime. */
export async function pushLatency(d: SystemDriver, port: number, rate: number, size: number, t: Timing): Promise<Latency> {
  return pushLatencyPairs(d, port, 1, rate, size, t);
}

/** Sequential Send -> Accepted round trips per second; undefined if the system has none. */
export async function requestResponse(d: SystemDriver, port: number, size: number, t: Timing): Promise<number | undefined> {
  const p = await d.pair(port);
  const rt = p.roundTrip;
  if (!rt) {
    await p.close();
    return undefined;
  }
  const content = contentFor(1, size);
  const warmEnd = Date.now() + t.warmMs;
  while (Date.now() < warmEnd) await rt(content);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + t.runMs;
  while (Date.now() < end) {
    await rt(content);
    n++;
  }
  const t1 = process.hrtime.bigint();
  await p.close();
  return (n * 1e9) / Number(t1 - t0);
}

/** Sequential round trips per second of `once` (e.g. Ping -> Pong) after a warm-up. */
export async function sequentialRoundTrips(once: () => Promise<unknown>, t: Timing): Promise<number> {
  const warmEnd = Date.now() + t.warmMs;
  while (Date.now() < warmEnd) await once();
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + t.runMs;
  while (Date.now() < end) {
    await once();
    n++;
  }
  return (n * 1e9) / Number(process.hrtime.bigint() - t0);
}

/** Bytes on the wire per message (client->server and server->client, both clients), at the socket. */
export async function wireBytes(d: SystemDriver, port: number, content: string | ((seq: number) => string), n: number): Promise<{ up: number; down: number }> {
  const proxy = await countingProxy(port);
  const p = await d.pair(proxy.port);
  const make = typeof content === 'string' ? () => content : content;
  let got = 0;
  let sent = 0;
  p.onDeliver = () => {
    got++;
    while (sent < n && sent - got < 64) p.send(make(sent++));
  };
  await waitFor(() => true, 0);
  const up0 = proxy.up;
  const down0 = proxy.down;
  while (sent < 64 && sent < n) p.send(make(sent++));
  await waitFor(() => got >= n, 30_000);
  // Let trailing acknowledgements (and their answers) cross the proxy.
  await new Promise((r) => setTimeout(r, 200));
  const r = { up: (proxy.up - up0) / n, down: (proxy.down - down0) / n };
  await p.close();
  await proxy.close();
  return r;
}

/** The part of a client the offline-queue figure needs (ChatClient and GrpcChatClient both fit). */
export interface QueueClient {
  register(u: string, p: string): Promise<void>;
  login(u: string, p: string): Promise<{ undelivered: number }>;
  send(to: string, content: string): Promise<number>;
  fetch(max: number): Promise<{ remaining: number; messages: { id: number }[] }>;
  ack(upTo: number): Promise<void>;
  close(): unknown;
}

let queueRun = 0;
/** Offline queue: messages/s accepted durably for an offline recipient, then fetch+ack messages/s. */
export async function offlineQueue(connect: () => Promise<QueueClient>, n: number, size: number): Promise<{ accept: number; drain: number }> {
  const pw = 'bench password';
  const s = `qs${queueRun}`;
  const r = `qr${queueRun++}`;
  const sender = await connect();
  await sender.register(s, pw);
  await sender.register(r, pw);
  await sender.login(s, pw);
  const content = contentFor(1, size);
  let sent = 0;
  let accepted = 0;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < n && sent - accepted < 256) {
        sent++;
        sender.send(r, content).then(() => {
          if (++accepted === n) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  const t1 = process.hrtime.bigint();
  const recipient = await connect();
  const { undelivered } = await recipient.login(r, pw);
  if (undelivered !== n) throw new Error(`offline queue holds ${undelivered}, expected ${n}`);
  let drained = 0;
  const t2 = process.hrtime.bigint();
  for (;;) {
    const b = await recipient.fetch(200);
    const last = b.messages.at(-1);
    if (!last) break;
    await recipient.ack(last.id);
    drained += b.messages.length;
  }
  const t3 = process.hrtime.bigint();
  await sender.close();
  await recipient.close();
  if (drained !== n) throw new Error(`drained ${drained} of ${n}`);
  return { accept: (n * 1e9) / Number(t1 - t0), drain: (n * 1e9) / Number(t3 - t2) };
}

/**
 * Send -> push latency at a fixed offered rate spread evenly over `pairs` pairs (for a rate one pair
 * cannot carry alone but several can), measured by the recipients with hrtime.
 */
export async function pushLatencyPairs(d: SystemDriver, port: number, pairs: number, rate: number, size: number, t: Timing): Promise<Latency> {
  const ps: Pair[] = [];
  for (let i = 0; i < pairs; i++) ps.push(await d.pair(port));
  const total = Math.ceil((rate * (t.warmMs + t.runMs)) / 1000);
  const skip = Math.floor((rate * t.warmMs) / 1000);
  const sentAt = new Float64Array(total);
  const lat: number[] = [];
  let got = 0;
  // Message seq goes to pair seq % pairs; its content carries seq, so any recipient can time it.
  for (const p of ps) {
    p.onDeliver = (seq) => {
      if (!(seq >= 0) || seq >= total) return;
      got++;
      if (seq >= skip) lat.push(Number(process.hrtime.bigint()) / 1e6 - sentAt[seq]!);
    };
  }
  const start = Number(process.hrtime.bigint()) / 1e6;
  let seq = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Number(process.hrtime.bigint()) / 1e6;
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000));
      while (seq < due) {
        sentAt[seq] = Number(process.hrtime.bigint()) / 1e6;
        ps[seq % pairs]!.send(contentFor(seq, size));
        seq++;
      }
      if (seq >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await waitFor(() => got >= total, 15_000);
  await Promise.all(ps.map((p) => p.close()));
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), p999: percentile(lat, 0.999), lost: total - got };
}
