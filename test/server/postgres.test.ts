/**
 * The PostgreSQL store's own parts: wake-up payloads, patterns, URLs, migrations, id blocks and
 * session binding between two stores on one schema. (The shared rules are in store.test.ts, the
 * nodes together in cluster.test.ts.)
 */
import anyTest, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import pg from 'pg';
import { globToLike } from '../../src/server/store/postgresSchema.js';
import { eventsOf, payloads, type Wake } from '../../src/server/store/postgresWakes.js';
import { parseUrl, PostgresStore } from '../../src/server/store/postgres.js';
import { ident, MIGRATIONS, migrate } from '../../src/server/store/postgresSchema.js';
import type { Binding, IdBlock, NodeEvent, Op, Store } from '../../src/server/store/store.js';
import { wildcardToRegExp } from '../../src/server/rules.js';
import { freshSchema, PG_BASE, pgTest } from './pg.js';
import { waitFor } from '../wait.js';

const test = await pgTest();

anyTest('wake-ups are cut into payloads under the NOTIFY limit and read back whole, in order', (t) => {
  fc.assert(
    // Contents are printable ASCII (the protocol refuses the rest), so the separators never occur in them.
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 512, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }), { maxLength: 200 }), (contents) => {
      const wakes: Wake[] = contents.map((c, i) => ['m', 7, i + 1, 'alice', i, 0, 1_700_000_000_000 + i, c]);
      const ps = payloads('node-a', wakes);
      for (const p of ps) t.true(Buffer.byteLength(p) < 8000);
      const back = ps.flatMap((p) => eventsOf(p, 'node-b'));
      const messages = back.flatMap((e) => (e.type === 'messages' ? e.messages : []));
      t.deepEqual(
        messages.map((m) => m.content),
        contents,
      );
      t.deepEqual(ps.flatMap((p) => eventsOf(p, 'node-a')), [], 'a node ignores its own');
    }),
  );
});

anyTest('every kind of wake-up reads back as its event; garbage reads as nothing', (t) => {
  const [p] = payloads('x', [
    ['t', 3, 99],
    ['p', 'bob', 1],
    ['r', 4, 8, 9],
    ['a', 'eve', 5, 0],
  ]);
  t.deepEqual(eventsOf(p!, 'y'), [
    { type: 'takeover', accountId: 3, claim: 99 },
    { type: 'presence', name: 'bob', online: true },
    { type: 'receipts', senderId: 4, ids: [8, 9] },
    { type: 'account', name: 'eve', id: 5, live: false },
  ] satisfies NodeEvent[]);
  t.deepEqual(eventsOf('no records at all', 'y'), []);
  t.deepEqual(eventsOf('x\x1em\x1f1\x1f2', 'y'), [], 'a message record with fields missing');
});

test('a wildcard pattern means in PostgreSQL (as LIKE) what it means everywhere else', async (t) => {
  const c = new pg.Client({ connectionString: parseUrl(PG_BASE).connectionString });
  await c.connect();
  t.teardown(() => c.end());
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '_', '.', '-', '%'), maxLength: 5 });
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: fc.constantFrom('a', 'b', '_', '.', '-', '*', '?'), maxLength: 5 }), name, async (pattern, n) => {
      const r = await c.query<{ m: boolean }>('SELECT $2::text LIKE $1::text AS m', [globToLike(pattern), n]);
      t.is(r.rows[0]!.m, wildcardToRegExp(pattern).test(n), `${pattern} vs ${n}`);
    }),
    { numRuns: 300 },
  );
});

anyTest('a store URL takes ?schema= and refuses what is not a plain PostgreSQL URL', (t) => {
  t.deepEqual(parseUrl('postgres://u@h:5/db?schema=tc_1'), { connectionString: 'postgres://u@h:5/db', schema: 'tc_1' });
  t.is(parseUrl('postgresql://h/db').schema, 'termchat');
  t.throws(() => parseUrl('mysql://h/db'), { message: /expected postgres/ });
  t.throws(() => parseUrl('postgres://h/db?schema=a;drop'), { message: /plain identifier/ });
  t.throws(() => parseUrl('not a url'), { message: /not a URL/ });
});

async function open(t: ExecutionContext, url: string, maxQueue?: number): Promise<Store & PostgresStore> {
  const s = new PostgresStore({ url, leaseMs: 600, ...(maxQueue === undefined ? {} : { mailbox: { maxQueue } }) });
  await s.open();
  t.teardown(() => s.close());
  return s;
}

async function one<T>(s: Store, op: Op): Promise<T> {
  const [r] = await s.run([op]);
  if (!r!.ok) throw new Error(r!.error);
  return r!.value as T;
}

test('migrations run once however many nodes start together, and a newer schema is refused', async (t) => {
  const url = freshSchema(t);
  const { connectionString, schema } = parseUrl(url);
  const clients = await Promise.all(
    [1, 2, 3, 4].map(async () => {
      const c = new pg.Client({ connectionString });
      await c.connect();
      return c;
    }),
  );
  t.teardown(() => Promise.all(clients.map((c) => c.end())));
  const found = await Promise.all(clients.map((c) => migrate(c, schema)));
  t.deepEqual([...found].sort(), [0, MIGRATIONS.length, MIGRATIONS.length, MIGRATIONS.length]);
  const c = clients[0]!;
  t.is((await c.query(`SELECT count(*)::int AS n FROM ${ident(schema)}.schema_version`)).rows[0].n, MIGRATIONS.length);
  await c.query(`INSERT INTO ${ident(schema)}.schema_version (version) VALUES ($1)`, [MIGRATIONS.length + 1]);
  await t.throwsAsync(migrate(c, schema), { message: /newer than this termchat-server knows/ });
});

test('two nodes get disjoint id blocks; a bind on the second takes the session over and tells the first', async (t) => {
  const url = freshSchema(t);
  const a = await open(t, url);
  const b = await open(t, url);
  const blocks = await Promise.all([a, b, a, b].map((s) => one<IdBlock>(s, { op: 'allocateIds' })));
  const ranges = blocks.map((x) => [x.first, x.first + x.count - 1] as const).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) t.true(ranges[i]![0] > ranges[i - 1]![1], 'blocks do not overlap');

  const heard: NodeEvent[] = [];
  a.onEvent((e) => heard.push(e));
  const id = await one<number>(a, { op: 'createAccount', name: 'bob', hash: 'h' });
  const first = await one<Binding>(a, { op: 'bindSession', accountId: id, name: 'bob' });
  t.false(first.wasOnline);
  t.deepEqual(await one(b, { op: 'online', names: ['bob', 'eve'] }), ['bob']);
  const second = await one<Binding>(b, { op: 'bindSession', accountId: id, name: 'bob' });
  t.true(second.wasOnline);
  t.true(second.claim > first.claim);
  t.true(second.newestBlock >= Math.max(...blocks.map((x) => x.first)));
  await waitFor(() => heard.some((e) => e.type === 'takeover'), 'the takeover heard by the first node');
  t.deepEqual(heard.find((e) => e.type === 'takeover'), { type: 'takeover', accountId: id, claim: second.claim });
  // The old claim cannot end the new session.
  await one(a, { op: 'unbindSession', accountId: id, claim: first.claim });
  t.deepEqual(await one(a, { op: 'online', names: ['bob'] }), ['bob']);
  await one(b, { op: 'unbindSession', accountId: id, claim: second.claim });
  t.deepEqual(await one(a, { op: 'online', names: ['bob'] }), []);
});

test('a node that stops renewing its lease loses its sessions to the sweep of another node', async (t) => {
  const url = freshSchema(t);
  const a = await open(t, url);
  const b = await open(t, url);
  const id = await one<number>(a, { op: 'createAccount', name: 'dora', hash: 'h' });
  await one(a, { op: 'bindSession', accountId: id, name: 'dora' });
  const heard: NodeEvent[] = [];
  b.onEvent((e) => heard.push(e));
  // Stop a's heartbeat without the clean goodbye that close() sends: as if it were killed.
  (a as unknown as { closed: boolean }).closed = true;
  await waitFor(() => heard.some((e) => e.type === 'presence' && !e.online), 'the swept session going offline');
  t.deepEqual(heard.filter((e) => e.type === 'presence' && !e.online), [{ type: 'presence', name: 'dora', online: false }]);
  t.deepEqual(await one(b, { op: 'online', names: ['dora'] }), []);
});

test('the mailbox cap holds across nodes: each stores only what fits, in the database; a message already pushed passes; an ack makes room', async (t) => {
  const url = freshSchema(t);
  const nodes = [await open(t, url, 5), await open(t, url, 5), await open(t, url, 5)];
  const [a] = nodes as [PostgresStore];
  const from = await one<number>(a, { op: 'createAccount', name: 'sender', hash: 'h' });
  const to = await one<number>(a, { op: 'createAccount', name: 'box', hash: 'h' });
  let id = 1;
  const insert = (pushed = false): Op => ({
    op: 'insert', id: id++, senderId: from, recipientId: to, clientId: 0, flags: 0, sentAt: Date.now(),
    content: Buffer.from('hi'), dedupSince: 0, ...(pushed ? { pushed } : {}),
  });
  // Three nodes, four Sends each, at once: 12 asked, 5 fit.
  const results = (await Promise.all(nodes.map((n) => n.run([insert(), insert(), insert(), insert()])))).flat();
  const stored = results.filter((r) => r.ok && (r.value as { stored: boolean }).stored).length;
  const full = results.filter((r) => r.ok && 'full' in (r.value as object)).length;
  t.deepEqual([stored, full], [5, 7]);
  t.is(await one<number>(a, { op: 'count', recipientId: to }), 5);
  // In flight (pushed to an online recipient before its commit): stored over the cap.
  t.deepEqual(await one(nodes[1]!, insert(true)), { stored: true });
  t.deepEqual(await one(nodes[2]!, insert()), { stored: false, full: true });
  // The recipient takes two (on another node): two fit again.
  const page = await one<{ messages: Array<{ id: number }> }>(nodes[2]!, { op: 'fetch', recipientId: to, max: 2 });
  await one(nodes[2]!, { op: 'ack', recipientId: to, ids: page.messages.map((m) => m.id) });
  const again = await a.run([insert(), insert(), insert()]);
  t.deepEqual(
    again.map((r) => (r.ok ? r.value : r.error)),
    [{ stored: true }, { stored: false, full: true }, { stored: false, full: true }],
  );
});
