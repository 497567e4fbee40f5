import test from 'ava';
import { ChatClient, RepeatFilter } from '../../src/protocol/client.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { Op, Store } from '../../src/server/store/store.js';
import { drain, exited, PASSWORD, removeDir, spawnServer, startTestServer, tempDir } from './helpers.js';
import { waitFor } from '../wait.js';

test('every accepted message survives SIGKILL and a restart, and none comes twice after ack', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const first = await spawnServer(dir);
  t.teardown(() => first.child.kill('SIGKILL'));

  const a = await ChatClient.connect({ port: first.port });
  await a.register('alice', PASSWORD);
  await a.register('bob', PASSWORD);
  await a.login('alice', PASSWORD);
  // Pipelined: some are accepted, then the server dies with others possibly in flight.
  const accepted: number[] = [];
  const sends = Array.from({ length: 400 }, (_, i) =>
    a.send('bob', `msg ${i}`).then(
      (id) => void accepted.push(id),
      () => undefined,
    ),
  );
  await sends[199]; // at least the first 200 were answered
  first.child.kill('SIGKILL');
  await Promise.all(sends);
  t.is(await exited(first.child), 'SIGKILL');
  t.true(accepted.length >= 200);

  const second = await spawnServer(dir);
  t.teardown(() => second.child.kill('SIGKILL'));
  const b = await ChatClient.connect({ port: second.port });
  const { undelivered } = await b.login('bob', PASSWORD);
  t.true(undelivered >= accepted.length);
  // Read half, ack it, reconnect, read the rest: nothing lost, nothing twice.
  const half = await b.fetch(100);
  await b.ack(half.messages.at(-1)!.id);
  await b.close();
  const b2 = await ChatClient.connect({ port: second.port });
  await b2.login('bob', PASSWORD);
  const rest = await drain(b2);
  const ids = [...half.messages, ...rest].map((m) => m.id);
  t.is(new Set(ids).size, ids.length, 'no message twice');
  const got = new Set(ids);
  for (const id of accepted) t.true(got.has(id), `accepted message ${id} was delivered`);
  const contents = [...half.messages, ...rest].map((m) => m.content);
  t.deepEqual(contents, contents.map((_, i) => `msg ${i}`), 'stored in order, no gaps');
  await b2.close();
  second.child.kill('SIGTERM');
  t.is(await exited(second.child), 0);
});

test('SIGTERM sends ServerClosing to every client and exits 0, keeping queued messages', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const s = await spawnServer(dir);
  t.teardown(() => s.child.kill('SIGKILL'));
  const a = await ChatClient.connect({ port: s.port });
  await a.register('carol', PASSWORD);
  await a.register('dave', PASSWORD);
  await a.login('carol', PASSWORD);
  const idle = await ChatClient.connect({ port: s.port }); // not logged in: told too
  const id = await a.send('dave', 'see you after the restart');

  const told = Promise.all(
    [a, idle].map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('serverClosing', resolve);
        }),
    ),
  );
  const closed = Promise.all([a, idle].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  s.child.kill('SIGTERM');
  await told;
  await closed;
  t.is(await exited(s.child), 0);

  const again = await spawnServer(dir);
  t.teardown(() => again.child.kill('SIGKILL'));
  const d = await ChatClient.connect({ port: again.port });
  t.deepEqual(await d.login('dave', PASSWORD), { undelivered: 1 });
  t.like((await d.fetch(10)).messages[0], { id, content: 'see you after the restart' });
  await d.close();
  again.child.kill('SIGTERM');
  t.is(await exited(again.child), 0);
});

test('the CLI prints its version and help, and refuses a bad flag', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { ROOT } = await import('./helpers.js');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  const v = run('--version');
  t.is(v.status, 0);
  t.regex(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const h = run('--help');
  t.is(h.status, 0);
  t.regex(h.stdout, /--port/);
  const bad = run('--port', 'seventy');
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--port/);
});

test('kill -9 during a flood with live pushes and acks: every Accepted message was received or is still queued', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const first = await spawnServer(dir);
  t.teardown(() => first.child.kill('SIGKILL'));
  const a = await ChatClient.connect({ port: first.port });
  const b = await ChatClient.connect({ port: first.port });
  await a.register('flood-a', PASSWORD);
  await a.register('flood-b', PASSWORD);
  await a.login('flood-a', PASSWORD);
  await b.login('flood-b', PASSWORD);
  // The recipient acknowledges as it goes, so some messages leave the queue before their commit.
  const received = new Set<string>();
  let since = 0;
  b.on('message', (m) => {
    received.add(m.content);
    if (++since >= 50) {
      since = 0;
      b.ack(m.id).catch(() => undefined);
    }
  });
  const accepted: string[] = [];
  const sends = Array.from({ length: 3000 }, (_, i) => {
    const content = `flood ${i}`;
    return a.send('flood-b', content).then(
      () => void accepted.push(content),
      () => undefined,
    );
  });
  await sends[999];
  first.child.kill('SIGKILL');
  await Promise.all(sends);
  t.is(await exited(first.child), 'SIGKILL');
  t.true(accepted.length >= 1000);

  const second = await spawnServer(dir);
  t.teardown(() => second.child.kill('SIGKILL'));
  const b2 = await ChatClient.connect({ port: second.port });
  await b2.login('flood-b', PASSWORD);
  const queued = new Set((await drain(b2, 200)).map((m) => m.content));
  const lost = accepted.filter((c) => !received.has(c) && !queued.has(c));
  t.deepEqual(lost, [], 'no Accepted message lost');
  await b2.close();
});

test('a push seen before a crash, then resent by the sender under a new id, reaches the user once', async (t) => {
  // A store that never commits once held: the server "dies" with the message pushed but not stored.
  const inner = new MemoryStore();
  let hold = false;
  const held: Array<() => void> = [];
  const gate: Store = {
    open: () => inner.open(),
    run: (batch) => (hold ? new Promise((_, reject) => held.push(() => reject(new Error('crashed')))) : inner.run(batch)),
    close: () => Promise.resolve(),
    stats: inner.stats,
  };
  // No auth timeout: on a busy machine a connection waiting for the others' logins must not be closed.
  const before = await startTestServer({ store: gate, connections: { authTimeoutMs: 0 } });
  const repeats = new RepeatFilter();
  const seen: string[] = [];
  const a = await ChatClient.connect({ port: before.port });
  const b = await ChatClient.connect({ port: before.port, repeats });
  b.on('message', (m) => seen.push(m.content));
  await a.register('dup-a', PASSWORD);
  await a.register('dup-b', PASSWORD);
  await a.login('dup-a', PASSWORD);
  await b.login('dup-b', PASSWORD);
  hold = true;
  const clientId = a.newClientId();
  const lost = a.send('dup-b', 'hello once', clientId).catch(() => 'not accepted');
  await waitFor(() => seen.length === 1, 'the push before the crash');
  // The crash: connections drop, the batch with the message never commits.
  await Promise.all([a.close(), b.close()]);
  held.forEach((f) => f());
  t.is(await lost, 'not accepted');
  await before.stop();

  const after = await startTestServer({ store: inner, connections: { authTimeoutMs: 0 } });
  t.teardown(() => after.stop());
  const a2 = await ChatClient.connect({ port: after.port });
  const b2 = await ChatClient.connect({ port: after.port, repeats });
  let lastId = 0;
  b2.on('message', (m) => {
    seen.push(m.content);
    lastId = m.id;
  });
  await b2.login('dup-b', PASSWORD);
  await a2.login('dup-a', PASSWORD);
  const id = await a2.send('dup-b', 'hello once', clientId);
  await a2.send('dup-b', 'and then this');
  await waitFor(() => seen.length === 2, 'both messages pushed');
  t.deepEqual(seen, ['hello once', 'and then this'], 'the repeat was dropped');
  // The app's cumulative Ack of what came next covers the dropped repeat too: nothing stays queued.
  await b2.ack(lastId);
  t.deepEqual((await b2.fetch(10)).messages, []);
  t.true(id > 0);
});

test('a message delivered and acknowledged before it reaches the store is Accepted and never written', async (t) => {
  const inner = new MemoryStore();
  let hold = false;
  const seen: Op[] = [];
  const held: Array<() => void> = [];
  const gate: Store = {
    open: () => inner.open(),
    run: (batch) => {
      seen.push(...batch);
      if (!hold) return inner.run(batch);
      return new Promise((resolve) => held.push(() => resolve(inner.run(batch))));
    },
    close: () => Promise.resolve(),
    stats: inner.stats,
  };
  const srv = await startTestServer({ store: gate });
  t.teardown(() => {
    held.forEach((release) => release());
    return srv.stop();
  });
  const a = await srv.user('early-a');
  const b = await srv.user('early-b');
  // Something slow is with the store (held for ever), so the next batch waits in the queue.
  const other = await srv.user('early-c');
  hold = true;
  void other.listAccounts('*').catch(() => undefined);
  await waitFor(() => seen.some((op) => op.op === 'list'), 'the list with the store');
  const before = seen.length;
  b.on('message', (m) => void b.ack(m.id).catch(() => undefined));
  const id = await a.send('early-b', 'read at once');
  t.true(id > 0, 'Accepted although the store never answered');
  t.is(seen.length, before, 'the message never reached the store');
});

test('a RESEND of a message delivered before it was written is answered with its id and not pushed again', async (t) => {
  // A long ack wait, so the Ack surely comes before the message goes to the store.
  const srv = await startTestServer({ ackWaitMs: 60_000 });
  t.teardown(() => srv.stop());
  const a = await srv.user('unwritten-a');
  const b = await srv.user('unwritten-b');
  const pushed: string[] = [];
  b.on('push', (p) => {
    if (p.type !== 'Message') return;
    pushed.push(p.content);
    void b.ack(p.id).catch(() => undefined);
  });
  const clientId = a.newClientId();
  const id = await a.send('unwritten-b', 'once', clientId);
  t.is(await a.send('unwritten-b', 'once', clientId, MessageFlags.RESEND), id);
  await a.send('unwritten-b', 'sentinel');
  await waitFor(() => pushed.includes('sentinel'), 'the sentinel pushed');
  t.deepEqual(pushed, ['once', 'sentinel']);
});
