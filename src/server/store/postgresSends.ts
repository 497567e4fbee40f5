/**
 * The two statements that carry the message traffic on PostgreSQL: a run of Sends (recipients
 * checked, mailbox caps under row locks, resend records claimed, messages stored, the other nodes
 * woken) and a run of Acks (messages removed, receipts routed or kept), each one statement
 * however many it carries. BatchRunner (postgresOps.ts) calls them.
 */
import type pg from 'pg';
import { contentDigest } from './digest.js';
import type { InsertOp, InsertResult, Op, Receipt } from './store.js';
import { NODE_CHANNEL } from './postgresWakes.js';

/** Most messages and content bytes that may wait for one recipient. */
export interface MailboxCap {
  maxQueue: number;
  maxQueueBytes: number;
}

/**
 * A run of Sends in one statement (so, outside a transaction, in one round trip): the live
 * recipients, the resend records that are new (an upsert that only takes a record older than the
 * window), the messages, and the NOTIFYs that carry them to the nodes their recipients are on
 * (a recipient online nowhere wakes nobody: it fetches at its next Login).
 * Repeats of one (sender, clientId) inside the run are settled here first: one statement cannot
 * claim the same record twice. A named statement: planning it each time cost more than running it.
 */
export async function insertRun(db: pg.ClientBase, nodeId: string, mailbox: MailboxCap, ops: readonly InsertOp[]): Promise<InsertResult[]> {
  const results: Array<InsertResult | undefined> = new Array(ops.length);
  const digests = ops.map((o) => contentDigest(o.content));
  const firstOf = new Map<string, number>();
  const repeatOf = new Map<number, number>();
  const run: number[] = [];
  ops.forEach((o, i) => {
    const key = `${o.senderId}:${o.clientId}`;
    const first = o.clientId === 0 ? undefined : firstOf.get(key);
    if (first !== undefined) repeatOf.set(i, first);
    else {
      if (o.clientId !== 0) firstOf.set(key, i);
      run.push(i);
    }
  });
  const c = run.map((i) => ops[i]!);
  const r = await db.query<{ stored: number[]; live: number[]; fit: number[] }>({
    name: 'termchat_inserts',
    text: `WITH u AS (
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::int[], $8::bigint[], $9::text[])
         AS u(id, r, s, t, c, cid, f, d, w)
     ), live AS (
       SELECT u.*, p.p FROM u JOIN unnest($1::bigint[], $13::bool[]) AS p(id, p) ON p.id = u.id
       WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = u.r AND a.deleted_at IS NULL)
     ), box AS (
       -- The recipients' mailboxes, locked in id order (no deadlock between nodes): the cap holds
       -- across nodes because every node counts under the same row locks.
       SELECT account_id, n, bytes FROM mailboxes WHERE account_id IN (SELECT r FROM live) ORDER BY account_id FOR UPDATE
     ), fit AS (
       SELECT l.* FROM (
         SELECT live.*, row_number() OVER w AS k, sum(octet_length(live.c)) OVER w AS kb
         FROM live WHERE NOT live.p WINDOW w AS (PARTITION BY live.r ORDER BY live.id)
       ) l JOIN box b ON b.account_id = l.r
       WHERE b.n + l.k <= $14 AND b.bytes + l.kb <= $15
       UNION ALL SELECT live.*, 0, 0 FROM live WHERE live.p
     ), claim AS (
       INSERT INTO sends AS x (sender_id, client_id, message_id, recipient_id, sent_at, digest)
       SELECT s, cid, id, r, t, d FROM fit WHERE cid <> 0
       ON CONFLICT (sender_id, client_id) DO UPDATE SET
         message_id = excluded.message_id, recipient_id = excluded.recipient_id, sent_at = excluded.sent_at, digest = excluded.digest
       WHERE x.sent_at < excluded.sent_at - $10::bigint
       RETURNING message_id
     ), ins AS (
       INSERT INTO messages (id, recipient_id, sender_id, sent_at, content, client_id, flags)
       SELECT id, r, s, t, c, cid, f FROM fit WHERE cid = 0 OR id IN (SELECT message_id FROM claim)
       RETURNING id
     ), wake AS (
       SELECT p.node_id, l.id, concat_ws(chr(31), 'm', l.r, l.id, l.w, l.cid, l.f, l.t, l.c) AS e, octet_length(l.c) AS len
       FROM live l JOIN presence p ON p.account_id = l.r
       WHERE l.w IS NOT NULL AND l.id IN (SELECT id FROM ins) AND p.node_id <> $12::uuid
     ), woke AS (
       -- One NOTIFY per recipient node and at most ~7,000 bytes of messages (the other fields of a
       -- record take under 100 bytes; a payload stays under 8,000).
       SELECT pg_notify($11 || node_id::text, $12::text || chr(30) || string_agg(e, chr(30) ORDER BY id))
       FROM (SELECT node_id, id, e, sum(len + 100) OVER (PARTITION BY node_id ORDER BY id) / 6500 AS chunk FROM wake) x
       GROUP BY node_id, chunk
     )
     SELECT (SELECT coalesce(array_agg(id), '{}') FROM ins) AS stored,
            (SELECT coalesce(array_agg(id), '{}') FROM live) AS live,
            (SELECT coalesce(array_agg(id), '{}') FROM fit) AS fit,
            (SELECT count(*) FROM woke) AS woke`,
    values: [
      c.map((o) => o.id),
      c.map((o) => o.recipientId),
      c.map((o) => o.senderId),
      c.map((o) => o.sentAt),
      c.map((o) => o.content.toString('latin1')),
      c.map((o) => o.clientId),
      c.map((o) => o.flags),
      run.map((i) => digests[i]),
      c.map((o) => o.wake ?? null),
      c.length > 0 ? c[0]!.sentAt - c[0]!.dedupSince : 0,
      NODE_CHANNEL,
      nodeId,
      c.map((o) => o.pushed === true),
      mailbox.maxQueue,
      mailbox.maxQueueBytes,
    ],
  });
  const stored = new Set(r.rows[0]!.stored);
  const live = new Set(r.rows[0]!.live);
  const fit = new Set(r.rows[0]!.fit);
  const lost: number[] = [];
  for (const i of run) {
    const o = ops[i]!;
    if (stored.has(o.id)) results[i] = { stored: true };
    else if (!live.has(o.id)) results[i] = { stored: false, noSuchRecipient: true };
    else if (!fit.has(o.id)) results[i] = { stored: false, full: true };
    else lost.push(i);
  }
  if (lost.length > 0) {
    // Resends inside the window: the record says which message they repeat.
    const prev = await db.query<{ sender_id: number; client_id: number; message_id: number; recipient_id: number; digest: number | null }>(
      `SELECT s.sender_id, s.client_id, s.message_id, s.recipient_id, s.digest FROM sends s
       JOIN unnest($1::bigint[], $2::bigint[]) AS k(s, c) ON s.sender_id = k.s AND s.client_id = k.c`,
      [lost.map((i) => ops[i]!.senderId), lost.map((i) => ops[i]!.clientId)],
    );
    const byKey = new Map(prev.rows.map((x) => [`${x.sender_id}:${x.client_id}`, x]));
    for (const i of lost) {
      const o = ops[i]!;
      const p = byKey.get(`${o.senderId}:${o.clientId}`)!;
      const same = p.recipient_id === o.recipientId && (p.digest === null || p.digest === digests[i]);
      results[i] = same ? { stored: false, duplicateOf: p.message_id } : { stored: false, reused: true };
    }
  }
  for (const [i, first] of repeatOf) {
    const o = ops[i]!;
    const f = ops[first]!;
    const was = results[first]!;
    const same = f.recipientId === o.recipientId && digests[first] === digests[i];
    if ('noSuchRecipient' in was) results[i] = same ? was : { stored: false, reused: true };
    else if (!same || 'reused' in was) results[i] = { stored: false, reused: true };
    else results[i] = { stored: false, duplicateOf: 'duplicateOf' in was ? was.duplicateOf : f.id };
  }
  return results as InsertResult[];
}

/**
 * A run of Acks in one statement. It also routes the delivery receipts: a sender with a live
 * session on another node is sent them there (a wake-up), an offline sender keeps them for its
 * next Login; only those of senders on this node are left to the service (not `handled`).
 */
export async function ackRun(db: pg.ClientBase, nodeId: string, ops: ReadonlyArray<Extract<Op, { op: 'ack' }>>): Promise<Array<{ receipts: Receipt[]; bytes: number }>> {
  const ids: number[] = [];
  const recipients: number[] = [];
  for (const o of ops) {
    for (const id of o.ids) {
      ids.push(id);
      recipients.push(o.recipientId);
    }
  }
  const out = ops.map(() => ({ receipts: [] as Receipt[], bytes: 0 }));
  if (ids.length === 0) return out;
  const r = await db.query<{ id: number; recipient_id: number; sender_id: number; len: number; here: boolean }>({
    name: 'termchat_acks',
    text: `WITH gone AS (
       DELETE FROM messages m USING unnest($1::bigint[], $2::bigint[]) AS k(id, r)
       WHERE m.id = k.id AND m.recipient_id = k.r
       RETURNING m.id, m.recipient_id, m.sender_id, m.client_id, octet_length(m.content) AS len
     ), acked AS (
       UPDATE sends x SET acked_at = $6::bigint FROM gone g
       WHERE g.client_id <> 0 AND x.sender_id = g.sender_id AND x.client_id = g.client_id AND x.message_id = g.id
       RETURNING 1
     ), seen AS (
       SELECT g.*, p.node_id FROM gone g LEFT JOIN presence p ON p.account_id = g.sender_id
     ), kept AS (
       INSERT INTO receipts (sender_id, message_id)
       SELECT s.sender_id, s.id FROM seen s JOIN accounts a ON a.id = s.sender_id AND a.deleted_at IS NULL WHERE s.node_id IS NULL
       ON CONFLICT DO NOTHING RETURNING 1
     ), woke AS (
       SELECT pg_notify($3 || x.node_id::text, $4::text || chr(30) || 'r' || chr(31) || x.sender_id || chr(31) || string_agg(x.id::text, chr(31) ORDER BY x.id))
       FROM (SELECT sender_id, node_id, id, (row_number() OVER (PARTITION BY sender_id ORDER BY id) - 1) / 500 AS chunk
             FROM seen WHERE node_id IS NOT NULL AND node_id <> $5::uuid) x
       GROUP BY x.sender_id, x.node_id, x.chunk
     )
     SELECT s.id, s.recipient_id, s.sender_id, s.len, coalesce(s.node_id = $5::uuid, false) AS here,
            (SELECT count(*) FROM kept) AS kept, (SELECT count(*) FROM woke) AS woke, (SELECT count(*) FROM acked) AS acked
     FROM seen s`,
    values: [ids, recipients, NODE_CHANNEL, nodeId, nodeId, Date.now()],
  });
  // Each removed row goes to the Ack that named it (the first, should two name the same id).
  const owner = new Map<string, number>();
  ops.forEach((o, k) => {
    for (const id of o.ids) if (!owner.has(`${o.recipientId}:${id}`)) owner.set(`${o.recipientId}:${id}`, k);
  });
  for (const row of r.rows.sort((a, b) => a.id - b.id)) {
    const slot = out[owner.get(`${row.recipient_id}:${row.id}`)!]!;
    slot.receipts.push(row.here ? { id: row.id, senderId: row.sender_id } : { id: row.id, senderId: row.sender_id, handled: true });
    slot.bytes += row.len;
  }
  return out;
}
