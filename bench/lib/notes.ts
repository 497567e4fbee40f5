/**
 * Hand-written from CPU profiles of the termchat server (node --cpu-prof; `npm run bench:relay --
 * --profile DIR` and bench/lib/profileSummary.ts), per-thread CPU from /proc, the server's own
 * `--stats-interval` lines and `node --trace-gc`. Update when they change.
 */
export const WHERE_THE_TIME_GOES = `Profiled 2026-12-02 on the same machine (the compiled server, 1-pair relay through the lean driver,
\`npm run bench:relay -- --profile DIR --alloc\`, then \`npx tsx bench/lib/profileSummary.ts FILE\`):

- **What changed since 2026-11-30 (issue 19).** A Send in flight is one record (\`SendRecord\`,
  src/server/delivery.ts) holding its content bytes, instead of some twenty small objects and a
  512-character string; the store queue is an array with a moving head, not a chain of closures;
  the recently-sent table is a typed-array ring; the Accepted answer waits for the recipient's Ack
  for up to --ack-wait-max-ms (25 ms) when the recipient acknowledges quickly, so most messages of
  a live conversation are never written; the worker writes a batch with multi-row INSERT and
  DELETE statements. Allocation fell from about 3,700-3,900 to 2,900-3,200 bytes per relayed
  message (the "bytes allocated" row above); the server CPU per message went from 29.5x the raw
  relay's (the run quoted in issue 19) to 21x (1 pair) and 26x (16 pairs) in this run.
- **The event loop is now nearly all of it.** The store worker thread was busy only ~15 % of the
  run (SQLite's transaction ~6 %, our batch apply ~3 %, fsync under 1 %): with the longer Ack
  wait, most messages are taken back before they reach it. On the event loop (share of its
  samples): garbage collection ~17 %, the codec ~15 % (the ASCII/printable check and padding check
  of each 512-byte field, and encoding the push and the answer), the service's Send/Ack path
  (\`sendNow\`, \`ack\`) ~8 %, Buffer copies and slices ~8 %, socket writes ~4 %, the store queue
  and the pipeline ~4 % each, handing batches to the worker ~1.5 %.
- **What is left, and why the targets are still missed.** The relay path still allocates ~3 KB
  per message: the decoded request object (binary-parser builds one per frame, with a
  latin1 string of the content for the printable check), the push frame, the answer slot. Cutting
  it further means decoding Send without binary-parser's object (checking the bytes in place) and
  writing the push straight from the read buffer; that would break the one-schema rule for the
  hottest frame, so it was left for a decision. The raw relay does none of this work (it copies
  bytes), so the ratio to it stays near 15-30x even where termchat beats every durable broker.
- **Event-loop delay** under full load is still set by garbage collection (young-generation
  pauses of several ms on this shared 2-core machine), which is where the p99 of several ms, and
  tens of ms with 16 pairs, comes from.
- **Cross-node (PostgreSQL)**: unchanged by this work: the resend record still has a row of its
  own and receipts still join to find the sender's node; the NATS alternative for wake-ups was not
  measured. Every cross-node message is written (the sender's node cannot see the recipient's Ack in
  time), and since the mailbox caps became exact across nodes each run of Sends locks its
  recipients' mailbox rows and triggers keep their counts; what share of the cross-node cost that
  is was not measured separately. See the scale-out section for this run.
- **The 8-connection Fetch attack** grows the server by ~85-95 MiB (one connection: ~23): with
  --max-answer-bytes at 128 KiB instead of 1 MiB it is ~50 MiB, so about half is the answers the
  connections may hold (each pending answer byte costs several bytes of heap and allocator memory
  until the collector and malloc give it back) and the rest does not depend on the budget.
- **gRPC** (same service and store) is limited by @grpc/grpc-js itself: an empty unary call manages only
  ~1.2-3k calls/s here, so it cannot sustain 5k msg/s, and its per-client HTTP/2 state costs ~30 KiB of
  server RSS per idle client versus ~5 KiB for a termchat TCP session.`;
