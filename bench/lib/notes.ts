/**
 * Hand-written from CPU profiles of the termchat server (node --cpu-prof; `npm run bench:relay --
 * --profile DIR` and bench/lib/profileSummary.ts), per-thread CPU from /proc, the server's own
 * `--stats-interval` lines and `node --trace-gc`. Update when they change.
 */
export const WHERE_THE_TIME_GOES = `Profiled 2026-11-30 on the same machine (the compiled server, 1-pair relay through the lean driver, \`npm run bench:relay\`):

- **Two threads share the work.** About 4.5-5 us of CPU per relayed message on the event loop and
  4-6 us in the store's worker thread (SQLite statements and one fsync per batch), 9-10 us in all
  (\`bench:relay\` prints both, from /proc per-thread CPU). The raw relay needs 0.4 us.
- **On the event loop** (share of its busy time): garbage collection ~18 % (each Send in flight
  holds some twenty small objects (the decoded request and its 512-character string, the store
  operation, the answer slot, callbacks) until its commit or the recipient's Ack, so V8's young
  generation collections copy many survivors), socket writes ~13 % (one write per connection per
  turn), the service's Send/Ack path ~14 %, the codec (decode Send, encode push and Accepted, the
  ASCII checks) ~9 %, handing batches to the worker (postMessage) ~8 %.
- **In the store worker**, per message that reaches it, on this (loaded) virtual disk: the resend
  record ~2 us, the message row ~4 us, its delete on Ack ~3 us, plus one fsync per batch (0.1-0.2 ms
  at p50 here, much more while neighbours write). A message the recipient acknowledges within
  --ack-wait-ms (2 ms) is taken back before it reaches the worker and costs none of this; under
  full relay load about half the messages still reach it, because Acks come later than 2 ms.
  WAL checkpoints run on a thread of their own, so a commit no longer waits behind one.
- **Event-loop delay** under full load is set by garbage collection more than by our own turns (a
  turn starts at most 512 requests across all connections): young-generation collections took
  5-15 ms and full ones 3-15 ms on this shared 2-core machine with neighbours running (node
  --trace-gc), which is where the p99 of several ms, and tens of ms with 16 pairs, comes from.
- **What would cut it further:** a Send path that keeps the content as bytes instead of a string
  and allocates one record per message instead of many (fewer survivors, shorter collections);
  multi-row statements in the worker; a recipient-side Ack sooner than 2 ms (an interactive client
  acknowledges each read at once, so in real chat most messages are never written).
- **gRPC** (same service and store) is limited by @grpc/grpc-js itself: an empty unary call manages only
  ~1.2-3k calls/s here, so it cannot sustain 5k msg/s, and its per-client HTTP/2 state costs ~30 KiB of
  server RSS per idle client versus ~5 KiB for a termchat TCP session.`;
