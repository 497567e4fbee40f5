/**
 * `tsx bench/pgBatch.ts [batch sizes...]` (after `npm run build`): where the time of one node's store
 * batch goes on PostgreSQL, statement by statement. The statements mirror what the PostgreSQL store
 * sends for a run of Sends (postgresOps.ts, 2026-11-30: live recipients, resend records, messages,
 * one pg_notify query per ~7,900-byte payload, COMMIT) and for a run of Acks (one DELETE), timed from
 * the client on a fresh schema created by a real node, with one other connection listening (a second
 * node). For comparison, the same payloads sent by one statement. Prints milliseconds per batch.
 */
import pg from 'pg';
import { ChatClient } from '../src/protocol/client.js';
import { startCluster } from './lib/cluster.js';
import { freshSchema, PG_BASE } from './lib/pgStats.js';

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const ROUNDS = 20;
const MAX_PAYLOAD = 7900;

async function main(): Promise<void> {
  const s = freshSchema();
  const schema = new URL(s.url).searchParams.get('schema')!;
  const channel = `termchat.${schema}`;
  // A real node creates the schema (its migrations) and two accounts, then stops.
  const cl = await startCluster(s.url, 1);
  try {
    const c = await ChatClient.connect({ port: cl.nodes[0]!.port });
    await c.register('pa', 'bench password');
    await c.register('pb', 'bench password');
    await c.close();
  } finally {
    await cl.stop();
  }
  const db = new pg.Client({ connectionString: PG_BASE, options: `-c search_path="${schema}"` });
  const listener = new pg.Client({ connectionString: PG_BASE });
  await db.connect();
  await listener.connect();
  let heard = 0;
  listener.on('notification', () => heard++);
  await listener.query(`LISTEN "${channel}"`);
  try {
    const [a, b] = (await db.query<{ id: string }>('SELECT id::text FROM accounts ORDER BY id')).rows.map((r) => Number(r.id)) as [number, number];
    const content = 'x'.repeat(512);
    let nextId = 1_000_000;
    let cid = 1;
    for (const size of sizes.length ? sizes : [100, 500]) {
      const took = new Map<string, number>();
      const timed = async (what: string, fn: () => Promise<unknown>) => {
        const t0 = process.hrtime.bigint();
        await fn();
        took.set(what, (took.get(what) ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6);
      };
      let payloadCount = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const ids = Array.from({ length: size }, () => nextId++);
        const cids = ids.map(() => cid++);
        const now = Date.now();
        const events = ids.map((id, k) => JSON.stringify(['m', b, id, 'pa', cids[k], 0, now, content]));
        const payloads: string[] = [];
        let cur = '';
        for (const e of events) {
          if (cur !== '' && cur.length + e.length + 60 > MAX_PAYLOAD) {
            payloads.push(`{"n":"bench","e":[${cur}]}`);
            cur = '';
          }
          cur = cur === '' ? e : `${cur},${e}`;
        }
        if (cur !== '') payloads.push(`{"n":"bench","e":[${cur}]}`);
        payloadCount = payloads.length;
        await timed('BEGIN + live recipients', async () => {
          await db.query('BEGIN');
          await db.query('SELECT id FROM accounts WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL', [[b]]);
        });
        await timed('resend records (upsert)', () =>
          db.query(
            `INSERT INTO sends AS s (sender_id, client_id, message_id, recipient_id, sent_at, digest)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
             ON CONFLICT (sender_id, client_id) DO UPDATE SET message_id = excluded.message_id
             WHERE s.sent_at < excluded.sent_at - $7::bigint RETURNING sender_id, client_id`,
            [ids.map(() => a), cids, ids, ids.map(() => b), ids.map(() => now), ids.map(() => 1), 60_000],
          ),
        );
        await timed('messages INSERT', () =>
          db.query(
            `INSERT INTO messages (id, recipient_id, sender_id, sent_at, content, client_id, flags)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::int[])`,
            [ids, ids.map(() => b), ids.map(() => a), ids.map(() => now), ids.map(() => content), cids, ids.map(() => 0)],
          ),
        );
        await timed('pg_notify, one query per payload', async () => {
          for (const p of payloads) await db.query('SELECT pg_notify($1, $2)', [channel, p]);
        });
        await timed('COMMIT (with NOTIFY)', () => db.query('COMMIT'));
        await timed('Acks: DELETE in its own transaction', async () => {
          await db.query('BEGIN');
          await db.query('DELETE FROM messages m USING unnest($1::bigint[], $2::bigint[]) AS k(id, r) WHERE m.id = k.id AND m.recipient_id = k.r', [ids, ids.map(() => b)]);
          await db.query('COMMIT');
        });
        await timed('(compare) the same payloads by one statement, + COMMIT', async () => {
          await db.query('BEGIN');
          await db.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, payloads]);
          await db.query('COMMIT');
        });
      }
      process.stdout.write(`batch of ${size} Sends of 512 bytes (${payloadCount} NOTIFY payloads), mean of ${ROUNDS}:\n`);
      for (const [what, ms] of took) process.stdout.write(`  ${what.padEnd(58)} ${(ms / ROUNDS).toFixed(2)} ms\n`);
    }
    // Let the last notifications arrive before counting them.
    await new Promise((r) => setTimeout(r, 200));
    process.stdout.write(`(the listening connection heard ${heard} notifications)\n`);
  } finally {
    await db.end();
    await listener.end();
    await s.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`pgBatch failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
