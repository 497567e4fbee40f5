/**
 * Hand-written from the scale-out runs (bench/scaleout.ts), the PostgreSQL backend's CPU per
 * statement (read from /proc while one node's store ran batches of 50 Sends of 512 bytes) and the
 * PostgreSQL store's code: what limits several nodes on one PostgreSQL database, and what a second
 * machine would change. Update when they change.
 */
export const WHAT_LIMITS_SCALE_OUT = `#### What limits it (2026-11-30, this 2-core machine)

- **The two cores, shared by everything.** Across nodes a relayed message costs PostgreSQL about
  40-45 us, the nodes together 26-29 us (the SQLite node 12 us) and the bench's clients about 4 us:
  ~75 us per message on 2 cores, a ceiling near 27k msg/s, where the 16-pair relay with 2 or 3 nodes
  ends (22.6-27.6k over the runs). On one machine more nodes add CPU per message and no cores, so 1
  node on PostgreSQL is the fastest configuration here (on one node a message its recipient
  acknowledges within --ack-wait-ms is never written, which is why its PostgreSQL column is small).
- **PostgreSQL's 40-50 us per cross-node message**, measured per statement (a batch of 50 Sends of
  512 bytes, one node's backend): the message row about 20 us, its resend record in \`sends\` (kept
  for the de-duplication window) about 10 us, the NOTIFY that carries it to its recipient's node
  5-10 us, and the Ack's DELETE, which also routes the delivery receipt, 10-13 us. The issue's bare
  insert-notify-select-delete loop needed ~20 us: the resend record and the receipts are the
  difference.
- **One statement per batch.** A run of Sends is one statement (live recipients, resend records,
  messages and their NOTIFYs as CTEs, named so it is planned once per connection), run without
  BEGIN/COMMIT: one round trip per batch instead of 5 + B/13, and a run of Acks likewise. Planning
  the CTEs each time had cost more than running them (a 13-Send batch 1.2 -> 0.7 ms).
- **Each node hears only its own.** A run of Sends notifies the node each recipient is on, on that
  node's own channel, with one payload per node of up to ~7,000 bytes (separator-delimited text,
  no JSON); a recipient online nowhere wakes nobody (it fetches at its next Login). A node not in
  the pair now pays ~1 us per message of the cluster (it paid 3-12 us while every node heard
  every message).
- **Latency.** A cross-node push waits for the commit of the batch that carries it: a Send waits
  for the batch in flight on its node, then rides the next (a cycle of 1-3 ms here: the statement
  and its fsync), so p50 at 5k msg/s is about 2 ms and p99 8-10 ms: fsync takes 1-2 ms when the
  neighbours write, and the recipient node's Acks commit with a NOTIFY too (the receipts), so their
  commits and the Sends' queue on PostgreSQL's one notification lock, each with its fsync. p99 < 5
  ms did not hold in any run. At 20k msg/s (three quarters of the ceiling) the queues grow and p99
  is 100-200 ms. On one node the push
  does not wait for the commit, hence its sub-millisecond p50.
- **Commits are not the limit (yet).** Batching works: at full load the nodes commit 40-50
  statements a second with ~450-550 messages each. PostgreSQL serialises the commits of
  transactions that NOTIFY (one lock on the notification queue, held through the commit's fsync),
  so at a few hundred notifying commits a second (many nodes, small batches) that lock becomes the
  limit.

#### A second machine (on paper)

- **Nodes on one machine, PostgreSQL on the other:** the database machine keeps only PostgreSQL's
  ~50 us per message, so its 2 cores carry ~40k msg/s before saturating; the nodes' ~30 us and the
  clients' move off it. PostgreSQL's CPU saturates first: adding nodes adds no database capacity.
- **Adding nodes** adds a listening backend each (every listener scans the notification queue,
  even for other nodes' channels) and more, smaller notifying commits, queued on the one
  notification lock; each node itself now pays only for its own users' messages.
- **The network between machines** (0.1-0.3 ms a round trip instead of loopback's) adds one round
  trip per batch (the statement) and one per push (the NOTIFY to the recipient's node): a few
  tenths of a millisecond per cycle, as batches are one statement.
- **What would move the ceiling:** the resend record kept in the message row while the message
  waits (a separate record only after its Ack), receipts routed without a join for senders on the
  recipient's node, and more cores for PostgreSQL.`;
