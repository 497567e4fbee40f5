/**
 * Hand-written from the scale-out runs (bench/scaleout.ts), a CPU profile of the nodes
 * (cluster nodes started with --cpu-prof, bench/lib/profileSummary.ts), bench/pgBatch.ts and the
 * PostgreSQL store's code: what limits several nodes on one PostgreSQL database, and what a second
 * machine would change. Update when they change.
 */
export const WHAT_LIMITS_SCALE_OUT = `#### What limits it (2026-11-30, this 2-core machine)

- **The two cores, shared by everything.** Across nodes a relayed message costs the nodes together
  40-70 us with 2 nodes and 50-120 us with 3 (the SQLite node 11-19 us), PostgreSQL 32-52 us and the
  clients 4-7 us (ranges over the runs of the day, busy or not): 90-180 us per message on 2 cores,
  i.e. a ceiling of roughly 11-22k msg/s, where the 16-pair relay stops (its best, 18-21k, when the
  neighbours were quiet). So on one machine, adding nodes lowers throughput (each node adds CPU per
  message but no cores): 1 node on PostgreSQL is the fastest configuration here. The issue's bare
  insert-notify-select-delete loop needed ~20 us of PostgreSQL and ~11 us of client per message;
  termchat's nodes together need several times that client's CPU, and PostgreSQL about twice.
- **PostgreSQL's ~40 us per message:** two indexed rows written per message (the resend record in
  \`sends\`, kept for the de-duplication window, and the message), the message's DELETE on Ack, its
  NOTIFY payload (the whole content as JSON) written to the notification queue and read by every
  listening node's backend, and the WAL of all of it.
- **The nodes' 3-7x SQLite's CPU:** a message's content crosses many more sockets: client -> sender's
  node -> PostgreSQL twice (an element of the INSERT's text array, escaped by pg, and again inside the
  JSON of a NOTIFY payload) -> every other node -> recipient's node -> client. A profile of one of
  three nodes under the 16-pair relay: about half of the time idle (waiting on PostgreSQL), socket
  writes (writev) 10% of the samples, garbage collection 7%, pg and pg-protocol 7%, building and
  parsing the JSON payloads ~2.5%, pg's array escaping 1.4%.
- **Every node hears every message.** The nodes of a schema LISTEN on one channel and the payload
  carries the content, so a node pays for messages it neither sends nor receives (the "node not in the
  pair" column, ~4 us each): with N nodes, (N - 2) x ~4 us per message on top, growing with the whole
  cluster's traffic rather than the node's own.
- **Round trips per batch, one batch at a time per node.** A node's batch is one transaction:
  BEGIN + live recipients, the resend-record upsert, the INSERT, then one \`SELECT pg_notify\` per
  ~7,900-byte payload (13 messages of 512 bytes), then COMMIT: about 5 + B/13 sequential round trips
  for B Sends. Under the 16-pair relay a node commits 10-20 times a second with ~450-600 messages each.
  bench/pgBatch.ts, 500 Sends: BEGIN + live 1.8 ms, resend records 5.6, INSERT 7.7, 36 pg_notify
  queries 10.6, COMMIT 2.1, about 28 ms, of which the NOTIFYs are over a third; the same 36 payloads
  sent by one statement (\`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p\`) take 5.9 ms with
  the COMMIT instead of 12.7. The Acks of those 500: one DELETE transaction, 3.5 ms.
- **Latency** across nodes is about two batch cycles plus the NOTIFY's way to the recipient's node:
  a Send waits for the batch in flight on its node, then rides the next one (at 5k msg/s, one pair,
  ~40 messages and ~9 round trips, 6-8 ms here), so p50 is 7-17 ms in most runs (20-100 ms while
  the neighbours ran) and p99 follows their load. p99 < 5 ms at 5k msg/s needs a batch cycle of 1-2 ms: fewer round trips (the NOTIFYs in one
  statement, or in the INSERT's) and a quiet machine. On one node the push does not wait for the
  commit, hence its sub-millisecond p50.
- **Commits are not the limit (yet).** Batching works: the nodes commit 15-40 transactions a second
  in all at full load, so fsync (0.1-0.3 ms) is a small part of a ~28 ms batch. PostgreSQL
  serialises the commits of transactions that NOTIFY (one lock on the notification queue, held
  through the commit's fsync), so the nodes' commits queue behind each other; at tens a second that
  is a few % of the time, at a few hundred a second (many nodes, or small batches) it is the limit.

#### A second machine (on paper)

- **Nodes on one machine, PostgreSQL on the other:** the database machine keeps only PostgreSQL's
  ~40 us per message, so its 2 cores would carry ~40-50k msg/s before saturating; the nodes' 40-120
  us and the clients' move off it (the nodes' machine then needs about as many cores as PostgreSQL's,
  or more). PostgreSQL's CPU saturates first.
- **Adding nodes** does not add database capacity and costs the database more per message: each
  listening node adds a backend that reads every NOTIFY, and each node commits its own batches, so
  more nodes mean more, smaller NOTIFY commits queued on the one notification lock. The nodes
  themselves scale less than linearly: each pays ~4 us for every message of the cluster plus its own
  share, so one core per node caps a cluster near 1 s / (4 us + own share per message).
- **The network between machines** (0.1-0.3 ms a round trip instead of loopback's) stretches every
  batch by its ~5 + B/13 round trips, so the serial batch pipeline of a node slows and latency grows;
  round trips per batch (the NOTIFYs in one statement) matter more with two machines than here.
- **What would move the ceiling:** NOTIFY payloads without the content (ids only, the recipient's node
  reading the rows; or a channel per node so a node hears only its own recipients' messages), the
  NOTIFYs in one statement, and the resend record kept in the message row instead of a second table.`;
