/**
 * Several termchat-server nodes on one PostgreSQL database: three real server processes per test,
 * each test on a schema of its own. Chat, presence and takeover across nodes; a node killed with
 * SIGKILL mid-stream (nothing Accepted is lost, its sessions are released, clients go on elsewhere).
 */
import { once } from 'node:events';
import net from 'node:net';
import type { ExecutionContext } from 'ava';
import { ChatClient, type ChatMessage } from '../../src/protocol/client.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { exited, inbox, PASSWORD, spawnServer, tempDir, removeDir, TEST_COST, drain } from './helpers.js';
import { record } from './events.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { freshSchema, pgTest } from './pg.js';
import pg from 'pg';
import { PasswordHasher } from '../../src/server/auth.js';
import { parseUrl } from '../../src/server/store/postgres.js';
import { ident } from '../../src/server/store/postgresSchema.js';
import { client, LEASE_MS, nodes, user } from './nodes.js';

const test = await pgTest();

test('a message sent on one node is pushed to its recipient on another; replies too; accounts are seen everywhere', async (t) => {
  const [a, b, c] = await nodes(t, 3);
  const alice = await user(t, a!, 'alice');
  // Registered on node b a moment ago: node a must know bob at once.
  const bob = await user(t, b!, 'bob');
  const bobIn = inbox(bob);
  const aliceIn = inbox(alice);
  const id = await alice.send('bob', 'hello across nodes');
  const [m] = await bobIn.until(1);
  t.like(m, { id, sender: 'alice', content: 'hello across nodes' });
  await bob.ack(id);
  await bob.send('alice', 'hi back');
  t.like((await aliceIn.until(1))[0], { sender: 'bob', content: 'hi back' });

  // An offline recipient on a third node: queued, fetched wherever it logs in.
  const carol = await user(t, c!, 'carol');
  await carol.logout();
  await alice.send('carol', 'while you were out');
  const carolOnA = await client(t, a!);
  t.deepEqual(await carolOnA.login('carol', PASSWORD), { undelivered: 1 });
  t.deepEqual(
    (await drain(carolOnA)).map((x) => x.content),
    ['while you were out'],
  );
  t.deepEqual(await bob.listAccounts('*'), { total: 3, names: ['alice', 'bob', 'carol'] });
  await t.throwsAsync(alice.send('nobody', 'x'), { code: 'NO_SUCH_USER' } as never);
});

test('senders on three nodes at once: their recipient is pushed every message once, none skipped, each sender in order', async (t) => {
  const ns = await nodes(t, 3);
  const carol = await user(t, ns[0]!, 'carol');
  const got = new Map<string, number[]>();
  let pushed = 0;
  let all: () => void;
  const done = new Promise<void>((resolve) => (all = resolve));
  const per = 300;
  carol.on('message', (m) => {
    const list = got.get(m.sender) ?? [];
    list.push(Number(m.content.slice(1)));
    got.set(m.sender, list);
    if (++pushed === per * 3) all();
  });
  const senders = await Promise.all(ns.map((n, i) => user(t, n, `s${i}`)));
  // Ids come from blocks of different nodes and commit in no particular order across nodes.
  await Promise.all(senders.map((c) => Promise.all(Array.from({ length: per }, (_, k) => c.send('carol', `#${k}`)))));
  await done;
  for (let i = 0; i < 3; i++) t.deepEqual(got.get(`s${i}`), Array.from({ length: per }, (_, k) => k), `s${i} in order, once each`);
});

test('an account no node was told about (its wake-up lost) can still log in anywhere and be written to', async (t) => {
  const url = freshSchema(t);
  const [a, b] = await nodes(t, 2, url);
  const alice = await user(t, a!, 'alice');
  // Created behind the nodes' backs, as if its NOTIFY had been lost: only the database knows it.
  const { connectionString, schema } = parseUrl(url);
  const db = new pg.Client({ connectionString });
  await db.connect();
  t.teardown(() => db.end());
  const hash = await new PasswordHasher({ cost: TEST_COST }).hash(PASSWORD);
  await db.query(`INSERT INTO ${ident(schema)}.accounts (name, hash, created_at) VALUES ('ghost', $1, 0)`, [hash]);
  const ghost = await client(t, b!);
  t.deepEqual(await ghost.login('ghost', PASSWORD), { undelivered: 0 });
  const got = inbox(ghost);
  const id = await alice.send('ghost', 'found you');
  t.like((await got.until(1))[0], { id, content: 'found you' });
  await t.throwsAsync(client(t, a!).then((c) => c.register('ghost', PASSWORD)), { code: 'USERNAME_TAKEN' } as never);
});

test('full-width messages full of JSON specials cross nodes exactly (the wake-ups are cut under the NOTIFY limit)', async (t) => {
  const [a, b] = await nodes(t, 2);
  const bob = await user(t, b!, 'bob');
  const alice = await user(t, a!, 'alice');
  const got = inbox(bob);
  const texts = Array.from({ length: 120 }, (_, i) => `${i}:`.padEnd(512, i % 2 ? '"\\' : '\\"{}[]'));
  await Promise.all(texts.map((x) => alice.send('bob', x)));
  t.deepEqual(
    (await got.until(texts.length)).map((m) => m.content),
    texts,
  );
});

test('gRPC and TCP clients on different nodes chat both ways', async (t) => {
  const url = freshSchema(t);
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const [tcpNode] = await nodes(t, 1, url);
  const grpcNode = await spawnServer(dir, ['--store', url, '--lease-ms', LEASE_MS, '--grpc-port', '0']);
  t.teardown(async () => {
    grpcNode.child.kill('SIGTERM');
    await exited(grpcNode.child);
  });
  const bob = await user(t, tcpNode!, 'bob');
  const g = await GrpcChatClient.connect({ port: grpcNode.grpcPort! });
  t.teardown(() => g.close());
  await g.register('gina', PASSWORD);
  await g.login('gina', PASSWORD);
  const pushed = inbox(g);
  await g.subscribe();
  const bobIn = inbox(bob);
  await g.send('bob', 'from gRPC on one node');
  t.is((await bobIn.until(1))[0]!.content, 'from gRPC on one node');
  await bob.send('gina', 'from TCP on another');
  t.deepEqual(
    (await pushed.until(1)).map((m) => m.content),
    ['from TCP on another'],
  );
});

test('a node stopped with SIGTERM releases its sessions at once: watchers on another node hear them go offline', async (t) => {
  // A lease of an hour: only the node's goodbye can release the session within the test.
  const [a, b] = await nodes(t, 2, freshSchema(t), '3600000');
  await user(t, a!, 'erin');
  const watcher = await user(t, b!, 'watcher');
  const seen = record(watcher);
  t.deepEqual(await watcher.watch(['erin']), ['erin']);
  a!.child.kill('SIGTERM');
  t.is(await exited(a!.child), 0);
  t.deepEqual(await seen.until(1), [{ name: 'erin', online: false }]);
  t.deepEqual(await watcher.watch(['erin']), []);
});

test('delivery receipts and deletions cross nodes', async (t) => {
  const [a, b] = await nodes(t, 2);
  const alice = await user(t, a!, 'alice');
  const bob = await user(t, b!, 'bob');
  const receipts = record(alice);
  const bobIn = inbox(bob);
  const id = await alice.send('bob', 'did you get this?');
  await bobIn.until(1);
  await bob.ack(id);
  // Bob's node keeps the receipt and wakes alice's node, which hands it over.
  t.deepEqual(await receipts.until(1), [{ delivered: [id] }]);

  t.deepEqual(await bob.deleteAccount(PASSWORD), { deleted: true });
  // Node a hears of the deletion: the name is free there and nothing reaches the old account.
  await t.throwsAsync(alice.send('bob', 'still there?'), { code: 'NO_SUCH_USER' } as never);
  const newBob = await client(t, a!);
  await newBob.register('bob', PASSWORD);
  t.deepEqual(await newBob.login('bob', PASSWORD), { undelivered: 0 });
});

test('one session per account across nodes: a login on another node takes over, and only the new session gets pushes', async (t) => {
  const [a, b, c] = await nodes(t, 3);
  const alice = await user(t, a!, 'alice');
  const bob1 = await user(t, b!, 'bob');
  const watcher = await user(t, a!, 'watcher');
  const seen = record(watcher);
  t.deepEqual(await watcher.watch(['bob', 'alice', 'nobody']), ['bob', 'alice']);
  const kicked = once(bob1, 'loggedInElsewhere');
  const bob2 = await client(t, c!);
  await bob2.login('bob', PASSWORD);
  await kicked;
  const bob1In = inbox(bob1);
  const bob2In = inbox(bob2);
  await alice.send('bob', 'to the new session');
  t.is((await bob2In.until(1))[0]!.content, 'to the new session');
  await t.throwsAsync(bob1.send('alice', 'x'), { code: 'NOT_LOGGED_IN' } as never);
  t.is(bob1In.messages.length, 0);
  // A takeover is not a presence change; logging out is.
  await bob2.logout();
  const events = await seen.until(1);
  t.deepEqual(events, [{ name: 'bob', online: false }]);
});

test('kill -9 of a node mid-stream: every Accepted message arrives, the sender goes on from another node, the dead node\'s sessions are released', async (t) => {
  const [a, b, c] = await nodes(t, 3);
  const bob = await user(t, b!, 'bob');
  const received = new Map<number, ChatMessage>();
  bob.on('message', (m) => received.set(m.clientId, m));
  let alice = await user(t, a!, 'alice');
  const watcher = await user(t, c!, 'watcher');

  const total = 400;
  const accepted = new Map<number, number>(); // clientId -> message id
  const unanswered = new Set<number>();
  let sent = 0;
  const clientIds = Array.from({ length: total }, () => alice.newClientId());
  // Send in a stream; kill node a while Sends are in flight.
  const inflight: Promise<void>[] = [];
  for (; sent < total; sent++) {
    const cid = clientIds[sent]!;
    unanswered.add(cid);
    inflight.push(
      alice.send('bob', `m${sent}`, cid).then(
        (id) => {
          accepted.set(cid, id);
          unanswered.delete(cid);
        },
        () => undefined,
      ),
    );
    if (sent === total / 2) a!.child.kill('SIGKILL');
    if (sent % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  t.true(accepted.size < total, 'the kill cut the stream');

  // The sender moves to another node and resends what was never answered, flagged RESEND.
  alice = await client(t, c!);
  await alice.login('alice', PASSWORD);
  for (const cid of clientIds) {
    if (accepted.has(cid)) continue;
    const i = clientIds.indexOf(cid);
    accepted.set(cid, await alice.send('bob', `m${i}`, cid, MessageFlags.RESEND));
  }
  // Everything reaches bob: pushed live, or waiting in his queue.
  for (const m of await drain(bob)) received.set(m.clientId, m);
  for (const [cid, id] of accepted) {
    const m = received.get(cid);
    t.truthy(m, `client id ${cid} was Accepted as ${id} and never arrived`);
    if (m) t.is(m.id, id);
  }
  t.is(received.size, total);
  // Per sender->recipient order: ids grow with the order alice sent in.
  const ids = clientIds.map((cid) => accepted.get(cid)!);
  t.deepEqual([...ids].sort((x, y) => x - y), ids);

  // She is online again, on node c: watchers see her online.
  t.deepEqual(await watcher.watch(['alice']), ['alice']);
});

test('the sessions of a node killed with SIGKILL are released when its lease runs out: watchers elsewhere hear it', async (t) => {
  const [a, b] = await nodes(t, 2);
  await user(t, a!, 'dora');
  const watcher = await user(t, b!, 'watcher');
  const seen = record(watcher);
  t.deepEqual(await watcher.watch(['dora']), ['dora']);
  a!.child.kill('SIGKILL');
  await exited(a!.child);
  const [e] = await seen.until(1);
  t.deepEqual(e, { name: 'dora', online: false });
  t.deepEqual(await watcher.watch(['dora']), []);
});

/** A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones for a while. */
async function pgProxy(t: ExecutionContext, target: URL): Promise<{ url(base: string): string; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let port = 0;
  let server: net.Server | undefined;
  const listen = async () => {
    server = net.createServer((inbound) => {
      const outbound = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  };
  await listen();
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server?.close();
  });
  return {
    url(base) {
      const u = new URL(base);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
  };
}

test('a node that loses its database answers UNAVAILABLE, reconnects by itself and pushes what it missed', async (t) => {
  const url = freshSchema(t);
  const [b] = await nodes(t, 1, url);
  const proxy = await pgProxy(t, new URL(url));
  const [a] = await nodes(t, 1, proxy.url(url));
  const bob = await user(t, a!, 'bob');
  const alice = await user(t, b!, 'alice');
  const bobIn = inbox(bob);
  await alice.send('bob', 'before');
  await bobIn.until(1);

  await proxy.cut();
  // Node a cannot reach the database: a clear, retryable error, and the node stays up.
  const err = await t.throwsAsync(bob.fetch(10));
  if ((err as { code?: string }).code !== 'UNAVAILABLE') t.log(`node a said: ${a!.stderr()}`);
  t.is((err as { code?: string }).code, 'UNAVAILABLE');
  // Meanwhile a message for bob is stored through node b; node a cannot hear its wake-up.
  await alice.send('bob', 'during the outage');

  await proxy.restore();
  // Node a reconnects, listens again and pushes what waits for its sessions.
  const got = await bobIn.until(2);
  t.deepEqual(
    got.map((m) => m.content),
    ['before', 'during the outage'],
  );
  await bob.ack(got[1]!.id);
  t.is(typeof (await bob.send('alice', 'back')), 'number');
  t.is(a!.child.exitCode, null);
});

test('after a gap in its wake-ups a node pushes everything it missed, more than a page of it, in order, then what came meanwhile: nothing is left fetch-only', async (t) => {
  const url = freshSchema(t);
  const [b] = await nodes(t, 1, url);
  const proxy = await pgProxy(t, new URL(url));
  const [a] = await nodes(t, 1, proxy.url(url));
  const bob = await user(t, a!, 'gap-bob');
  const alice = await user(t, b!, 'gap-alice');
  const bobIn = inbox(bob);
  await alice.send('gap-bob', 'm 0');
  await bobIn.until(1);
  await proxy.cut();
  // More than one fetch page (200) is stored for bob while his node hears nothing.
  const MISSED = 250;
  for (let i = 1; i <= MISSED; i++) await alice.send('gap-bob', `m ${i}`);
  await proxy.restore();
  // And more while his node is catching up.
  const AFTER = 50;
  for (let i = MISSED + 1; i <= MISSED + AFTER; i++) await alice.send('gap-bob', `m ${i}`);
  const got = await bobIn.until(1 + MISSED + AFTER);
  t.deepEqual(
    got.map((m) => m.content),
    Array.from({ length: 1 + MISSED + AFTER }, (_, i) => `m ${i}`),
  );
});

test('the mailbox cap holds across three nodes: senders on each get MAILBOX_FULL only once the mailbox is full', async (t) => {
  const CAP = 20;
  const ns = await nodes(t, 3, freshSchema(t), LEASE_MS, ['--mailbox-max', String(CAP)]);
  const box = await user(t, ns[0]!, 'capped');
  await box.logout();
  const senders = await Promise.all(ns.map((n, i) => user(t, n, `capper${i}`)));
  const answers = await Promise.all(
    senders.flatMap((s, i) => Array.from({ length: 15 }, (_, k) => s.send('capped', `${i}.${k}`).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'))),
  );
  t.is(answers.filter((a) => a === 'ok').length, CAP);
  t.is(answers.filter((a) => a === 'MAILBOX_FULL').length, 45 - CAP);
  await box.login('capped', PASSWORD);
  t.is((await drain(box)).length, CAP);
});

test('the login throttle is shared by the nodes: failures on one node slow the next guess on another', async (t) => {
  const [a, b] = await nodes(t, 2);
  const setup = await client(t, a!);
  await setup.register('th-target', PASSWORD);
  await setup.register('th-bystander', PASSWORD);
  for (let i = 0; i < 4; i++) await t.throwsAsync(setup.login('th-target', `guess ${i}`));
  // On node b the next guess waits its turn (2 s after four failures); a Login of another account
  // sent after it is answered first.
  const guesser = await client(t, b!);
  const other = await client(t, b!);
  const order: string[] = [];
  const guess = guesser.login('th-target', 'guess 4').catch(() => undefined).then(() => order.push('guess'));
  const bystander = other.login('th-bystander', PASSWORD).then(() => order.push('bystander'));
  await Promise.all([guess, bystander]);
  t.deepEqual(order, ['bystander', 'guess']);
});

test('receipts for a sender whose node lost its link to the others arrive once the link is back', async (t) => {
  const url = freshSchema(t);
  const [b] = await nodes(t, 1, url);
  const proxy = await pgProxy(t, new URL(url));
  const [a] = await nodes(t, 1, proxy.url(url));
  const sender = await user(t, a!, 'gap-sender');
  const reader = await user(t, b!, 'gap-reader');
  await reader.logout();
  const ids = [await sender.send('gap-reader', 'one'), await sender.send('gap-reader', 'two')];
  const rec = record(sender);
  await proxy.cut();
  // The sender is still bound to node a: the Ack on node b routes its receipt there, unheard.
  await reader.login('gap-reader', PASSWORD);
  await reader.ack((await reader.fetch(10)).messages.at(-1)!.id);
  await proxy.restore();
  const got = await rec.until(1);
  t.deepEqual(got, [{ delivered: ids }]);
});
