import test from 'ava';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { removeDir, tempDir } from './helpers.js';

function open(t: import('ava').ExecutionContext, dir = tempDir()): SqliteStore {
  const s = new SqliteStore({ dataDir: dir });
  t.teardown(async () => {
    await s.close();
    removeDir(dir);
  });
  return s;
}

const DAY = 24 * 60 * 60 * 1000;
const msg = (senderId: number, clientId: number, content = 'hi', sentAt = Date.now()) => ({
  senderId,
  recipientName: 'bob',
  clientId,
  flags: 0,
  content,
  sentAt,
  dedupWindowMs: DAY,
});

test('sends issued together are committed in one transaction, with increasing ids', async (t) => {
  const s = open(t);
  const a = (await s.createAccount('alice', 'h'))!;
  await s.createAccount('bob', 'h');
  const before = { ...s.stats };
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => s.appendMessage(msg(a, i))));
  t.is(s.stats.commits - before.commits, 1);
  const ids = results.map((r) => (r.ok ? r.id : -1));
  t.deepEqual(ids, [...ids].sort((x, y) => x - y));
  t.is(new Set(ids).size, 100);
});

test('the dedup window: same (sender, clientId) inside it is one message, outside it a new one', async (t) => {
  const s = open(t);
  const a = (await s.createAccount('alice', 'h'))!;
  await s.createAccount('bob', 'h');
  const old = Date.now() - 2 * DAY;
  const first = await s.appendMessage(msg(a, 5, 'old', old));
  const again = await s.appendMessage(msg(a, 5, 'old', old + 1000));
  t.like(again, { ok: true, duplicate: true, id: first.ok ? first.id : -1 });
  const later = await s.appendMessage(msg(a, 5, 'new'));
  t.like(later, { ok: true, duplicate: false });
  t.not(later.ok && later.id, first.ok && first.id);
});

test('ids are never reused, even after every message was acked and the store reopened', async (t) => {
  const dir = tempDir();
  const s1 = new SqliteStore({ dataDir: dir });
  const a = (await s1.createAccount('alice', 'h'))!;
  const b = (await s1.createAccount('bob', 'h'))!;
  const r1 = await s1.appendMessage(msg(a, 1));
  await s1.ack(b, r1.ok ? [r1.id] : []);
  t.is(await s1.countQueued(b), 0);
  await s1.close();
  const s2 = open(t, dir);
  const r2 = await s2.appendMessage(msg(a, 2));
  t.true(r1.ok && r2.ok && r2.id > r1.id);
});

test('a name can be reused after deletion: a new account id, nothing inherited', async (t) => {
  const s = open(t);
  const a = (await s.createAccount('alice', 'h'))!;
  const b1 = (await s.createAccount('bob', 'h'))!;
  await s.appendMessage(msg(a, 1));
  t.is(await s.createAccount('bob', 'h2'), undefined, 'taken while live');
  t.deepEqual(await s.deleteAccount(b1, false), { deleted: false, waiting: 1 });
  t.deepEqual(await s.deleteAccount(b1, true), { deleted: true });
  t.false(await s.isLive(b1));
  const b2 = (await s.createAccount('bob', 'h2'))!;
  t.not(b2, b1);
  t.is(await s.countQueued(b2), 0);
  t.is((await s.findAccount('bob'))?.hash, 'h2');
});
