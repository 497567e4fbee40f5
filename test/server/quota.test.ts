/**
 * The per-recipient queue cap (count and bytes) and storage failures: MAILBOX_FULL, DISK_FULL, and
 * answers that stay true when the store fails its writes.
 */
import test from 'ava';
import { startServer } from '../../src/server/server.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { Op, OpResult, Store } from '../../src/server/store/store.js';
import { ChatClient } from '../../src/protocol/client.js';
import { PASSWORD, removeDir, startTestServer, tempDir, TEST_COST } from './helpers.js';

const WRITES = new Set<Op['op']>(['insert', 'ack', 'createAccount', 'deleteAccount']);

/** A MemoryStore whose writes fail as SQLite's do on a full disk while `full` is set. */
function fillableStore() {
  const inner = new MemoryStore();
  const state = { full: false };
  const store: Store = {
    open: () => inner.open(),
    run: async (batch) => {
      if (!state.full) return inner.run(batch);
      const reads = batch.filter((op) => !WRITES.has(op.op));
      const done = await inner.run(reads);
      let i = 0;
      return batch.map((op): OpResult => (WRITES.has(op.op) ? { ok: false, error: 'database or disk is full' } : done[i++]!));
    },
    close: () => inner.close(),
    stats: inner.stats,
  };
  return { store, state };
}

test('a full mailbox (count) refuses Sends with MAILBOX_FULL until the recipient acknowledges', async (t) => {
  const srv = await startTestServer({ maxQueue: 3 });
  t.teardown(() => srv.stop());
  const bob = await srv.user('qbob');
  await bob.logout();
  const a = await srv.user('qalice');
  for (let i = 0; i < 3; i++) await a.send('qbob', `m${i}`);
  const err = await t.throwsAsync(a.send('qbob', 'one too many'));
  t.like(err, { code: 'MAILBOX_FULL', message: "qbob's mailbox is full" });
  await bob.login('qbob', PASSWORD);
  const { messages } = await bob.fetch(10);
  t.is(messages.length, 3);
  await bob.ack(messages[0]!.id);
  await a.send('qbob', 'room again');
  await t.throwsAsync(a.send('qbob', 'full again'), { code: 'MAILBOX_FULL' } as never);
});

test('the byte cap counts content bytes, and the queue sizes survive a restart', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const opts = { port: 0, dataDir: dir, scryptCost: TEST_COST, maxQueueBytes: 10 };
  const s1 = await startServer(opts);
  const a = await ChatClient.connect({ port: s1.port });
  await a.register('bytes-b', PASSWORD);
  await a.register('bytes-a', PASSWORD);
  await a.login('bytes-a', PASSWORD);
  await a.send('bytes-b', 'hello');
  await a.send('bytes-b', 'world');
  await t.throwsAsync(a.send('bytes-b', '!'), { code: 'MAILBOX_FULL' } as never);
  await a.close();
  await s1.close();
  const s2 = await startServer(opts);
  t.teardown(() => s2.close());
  const again = await ChatClient.connect({ port: s2.port });
  t.teardown(() => again.close());
  await again.login('bytes-a', PASSWORD);
  await t.throwsAsync(again.send('bytes-b', '!'), { code: 'MAILBOX_FULL' } as never);
});

test('disk full: Send and Ack answer DISK_FULL, nothing changes, and both succeed once there is room', async (t) => {
  const { store, state } = fillableStore();
  const srv = await startTestServer({ store, maxQueue: 2 });
  t.teardown(() => srv.stop());
  const bob = await srv.user('fbob');
  await bob.logout();
  const a = await srv.user('falice');
  await a.send('fbob', 'before');
  state.full = true;
  const err = await t.throwsAsync(a.send('fbob', 'while full'));
  t.like(err, { code: 'DISK_FULL' });
  t.regex(err!.message, /disk is full/);
  await bob.login('fbob', PASSWORD);
  const { messages } = await bob.fetch(10);
  t.deepEqual(messages.map((m) => m.content), ['before']);
  // The Ack fails: it must not be Ok, and the message must still be there to acknowledge again.
  await t.throwsAsync(bob.ack(messages[0]!.id), { code: 'DISK_FULL' } as never);
  t.is((await bob.fetch(10)).messages.length, 1);
  state.full = false;
  await bob.ack(messages[0]!.id);
  t.is((await bob.fetch(10)).messages.length, 0);
  // The failed Send did not use up the cap of 2.
  await bob.logout();
  await a.send('fbob', 'one');
  await a.send('fbob', 'two');
  await t.throwsAsync(a.send('fbob', 'three'), { code: 'MAILBOX_FULL' } as never);
});

test('a failed Register on a full disk is DISK_FULL, not INTERNAL', async (t) => {
  const { store, state } = fillableStore();
  const srv = await startTestServer({ store });
  t.teardown(() => srv.stop());
  const c = await srv.connect();
  state.full = true;
  await t.throwsAsync(c.register('nospace', PASSWORD), { code: 'DISK_FULL' } as never);
  state.full = false;
  await c.register('nospace', PASSWORD);
  t.pass();
});
