/**
 * Hand-written from CPU profiles of the termchat server (node --cpu-prof; `npm run bench -- --profile`
 * and bench/lib/profileSummary.ts) and from the `--memory-store` experiment. Update when they change.
 */
export const WHERE_THE_TIME_GOES = `Profiled 2026-11-23 on the same machine (termchat server under the 1-pair relay load, \`--cpu-prof\`):

- **The store is the bottleneck.** The server is CPU-bound (idle < 3 %) and ~56 % of its time is inside
  better-sqlite3, on the event-loop thread: ~28 % executing the four statements of each Send (dedup
  lookup, recipient lookup, INSERT into messages + index, UPSERT into sends, inside a SAVEPOINT) and
  ~29 % in BEGIN/COMMIT, i.e. the WAL fsync that \`synchronous=FULL\` does once per group commit. The bench
  client is ~70 % idle, so it is not the limit.
- **fsync sets the floor for latency and round trips.** A message is pushed (and Accepted) only after
  its commit; one commit costs 0.2-1.5 ms on this virtual disk (fdatasync alone ~0.5 ms) and more while
  neighbours write, and it blocks the event loop, so every push in the next turn waits too. Hence
  p50 ~0.8 ms and p99 ~3 ms at 5k msg/s on a quiet machine (tens of ms while neighbours build), and
  ~2k sequential Send->Accepted/s (one fsync each) against ~11k raw round trips/s.
- **Without the store** (\`--memory-store\` experiment, NOT durable): ~70-115k msg/s (17-24 % of raw),
  p50 0.2-0.3 ms at 5k msg/s (p99 1 ms in one run, 56 ms in another with a neighbour burst), 7-8k
  round trips/s (55-65 % of raw). What remains is per-message work the raw relay
  does not do: writev syscalls (14 %), GC (9 %), encoding Accepted + the 541-byte push with its ASCII
  check (~13 %), the service's promise chain per request (microtasks ~5 %, service ~8 %).
- **gRPC** (same service and store) is limited by @grpc/grpc-js itself: an empty unary call manages only
  ~1.2-3k calls/s here, so it cannot sustain 5k msg/s, and its per-client HTTP/2 state costs ~30 KiB of
  server RSS per idle client versus ~5 KiB for a termchat TCP session.`;
