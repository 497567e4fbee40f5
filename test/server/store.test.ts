/**
 * One conformance suite, run against every Store, so the stores cannot drift apart. Operations go
 * in as batches, as the service's group-commit queue sends them.
 */
import test from 'ava';
import type { InsertOp, Op, OpResult, Receipt, Store } from '../../src/server/store/store.js';
import { KINDS, one, open } from './storeKinds.js';

const DAY = 24 * 60 * 60 * 1000;

let nextId = 1;
const insert = (senderId: number, recipientId: number, clientId: number, content = 'hi', sentAt = Date.now()): InsertOp => ({
  op: 'insert',
  id: nextId++,
  senderId,
  recipientId,
  clientId,
  flags: 0,
  sentAt,
  content: Buffer.from(content, 'latin1'),
  dedupSince: sentAt - DAY,
});

/** An ack's result without the `handled` marks a shared store adds (see the test of them below). */
function plain(v: unknown): { receipts: Receipt[]; bytes: number } {
  const r = v as { receipts: Receipt[]; bytes: number };
  return { receipts: r.receipts.map(({ id, senderId }) => ({ id, senderId })), bytes: r.bytes };
}

async function twoAccounts(s: Store): Promise<[number, number]> {
  const r = await s.run([
    { op: 'createAccount', name: 'alice', hash: 'h' },
    { op: 'createAccount', name: 'bob', hash: 'h' },
  ]);
  return [r[0]!.ok ? (r[0]!.value as number) : -1, r[1]!.ok ? (r[1]!.value as number) : -1];
}

for (const kind of KINDS) {
  test(`${kind.name}: a batch runs in order; a write is seen by a later read of the same batch`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const ops: Op[] = [insert(a, b, 1, 'one'), insert(a, b, 2, 'two'), { op: 'fetch', recipientId: b, max: 10 }];
    const r = await s.run(ops);
    t.true(r.every((x) => x.ok));
    const fetched = (r[2] as Extract<OpResult, { ok: true }>).value as { messages: Array<{ content: string; clientId: number }> };
    t.deepEqual(
      fetched.messages.map((m) => [m.content, m.clientId]),
      [
        ['one', 1],
        ['two', 2],
      ],
    );
  });

  test(`${kind.name}: one batch of many Sends with repeats inside it: each repeat names the first, a reused id is refused, client id 0 always stores`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const ops: InsertOp[] = [];
    for (let i = 0; i < 70; i++) ops.push(insert(a, b, 100 + i, `m${i}`));
    const first = insert(a, b, 500, 'same');
    ops.push(first, insert(a, b, 500, 'same'), insert(a, b, 500, 'different'), insert(a, b, 0, 'zero'), insert(a, b, 0, 'zero'));
    const r = await s.run(ops);
    const values = r.map((x) => (x.ok ? x.value : x.error));
    t.true(values.slice(0, 70).every((v) => (v as { stored: boolean }).stored));
    t.deepEqual(values.slice(70), [{ stored: true }, { stored: false, duplicateOf: first.id }, { stored: false, reused: true }, { stored: true }, { stored: true }]);
    t.is(await one<number>(s, { op: 'count', recipientId: b }), 73);
  });

  test(`${kind.name}: fetch pages by id: only ids after \`after\`, and how many wait beyond the page`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const ms = [insert(a, b, 1, 'one'), insert(a, b, 2, 'two'), insert(a, b, 3, 'three'), insert(a, b, 4, 'four')];
    await s.run(ms);
    type Page = { messages: Array<{ content: string }>; remaining: number };
    const page = await one<Page>(s, { op: 'fetch', recipientId: b, max: 2, after: ms[0]!.id });
    t.deepEqual(page.messages.map((m) => m.content), ['two', 'three']);
    t.is(page.remaining, 1);
    const whole = await one<Page>(s, { op: 'fetch', recipientId: b, max: 2 });
    t.deepEqual([whole.messages.map((m) => m.content), whole.remaining], [['one', 'two'], 2]);
  });

  test(`${kind.name}: a resend inside the window is the first message; a reused client id for other text is refused`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const first = insert(a, b, 5, 'hello');
    t.deepEqual(await one(s, first), { stored: true });
    t.deepEqual(await one(s, insert(a, b, 5, 'hello')), { stored: false, duplicateOf: first.id });
    t.deepEqual(await one(s, insert(a, b, 5, 'other text')), { stored: false, reused: true });
    t.is(await one<number>(s, { op: 'count', recipientId: b }), 1);
  });

  test(`${kind.name}: client id 0 is never de-duplicated`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    await one(s, insert(a, b, 0, 'x'));
    t.deepEqual(await one(s, insert(a, b, 0, 'x')), { stored: true });
    t.is(await one<number>(s, { op: 'count', recipientId: b }), 2);
  });

  test(`${kind.name}: outside the dedup window the same client id is a new message`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    await one(s, insert(a, b, 7, 'old', Date.now() - 2 * DAY));
    t.deepEqual(await one(s, insert(a, b, 7, 'new')), { stored: true });
  });

  test(`${kind.name}: ack removes only the recipient's own messages`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const m = insert(a, b, 1);
    await one(s, m);
    t.deepEqual(await one(s, { op: 'ack', recipientId: a, ids: [m.id] }), { receipts: [], bytes: 0 });
    t.deepEqual(plain(await one(s, { op: 'ack', recipientId: b, ids: [m.id] })), { receipts: [{ id: m.id, senderId: a }], bytes: m.content.length });
    t.is(await one<number>(s, { op: 'count', recipientId: b }), 0);
  });

  test(`${kind.name}: ack reports each removed message with its sender, once`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const m1 = insert(a, b, 1);
    const m2 = { ...insert(b, b, 2), id: m1.id + 1 };
    await s.run([m1, m2]);
    t.deepEqual(plain(await one(s, { op: 'ack', recipientId: b, ids: [m1.id, m2.id, m2.id + 1] })).receipts, [
      { id: m1.id, senderId: a },
      { id: m2.id, senderId: b },
    ]);
    t.deepEqual(await one(s, { op: 'ack', recipientId: b, ids: [m1.id, m2.id] }), { receipts: [], bytes: 0 }, 'already gone');
  });

  test(`${kind.name}: kept receipts are taken once, by their sender only`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    await one(s, { op: 'addReceipts', receipts: [{ id: 9, senderId: a }, { id: 4, senderId: a }, { id: 5, senderId: b }] });
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: a }), [4, 9]);
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: a }), [], 'handed out once');
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: b }), [5]);
  });

  test(`${kind.name}: a deleted sender keeps no receipts`, async (t) => {
    const s = await open(t, kind);
    const [a] = await twoAccounts(s);
    await one(s, { op: 'addReceipts', receipts: [{ id: 1, senderId: a }] });
    await one(s, { op: 'deleteAccount', accountId: a, force: true });
    await one(s, { op: 'addReceipts', receipts: [{ id: 2, senderId: a }] });
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: a }), []);
  });

  test(`${kind.name}: a name can be reused after deletion: a new account id, nothing inherited`, async (t) => {
    const s = await open(t, kind);
    const [a, b1] = await twoAccounts(s);
    await one(s, insert(a, b1, 1));
    t.is(await one(s, { op: 'createAccount', name: 'bob', hash: 'h2' }), undefined, 'taken while live');
    t.deepEqual(await one(s, { op: 'deleteAccount', accountId: b1, force: false }), { deleted: false, waiting: 1 });
    t.deepEqual(await one(s, { op: 'deleteAccount', accountId: b1, force: true }), { deleted: true });
    t.deepEqual(await one(s, insert(a, b1, 2)), { stored: false, noSuchRecipient: true }, 'a send queued before the deletion lands nowhere');
    const b2 = await one<number>(s, { op: 'createAccount', name: 'bob', hash: 'h2' });
    t.not(b2, b1);
    t.is(await one<number>(s, { op: 'count', recipientId: b2 }), 0);
    t.like(await one(s, { op: 'findAccount', name: 'bob' }), { id: b2, hash: 'h2' });
  });

  test(`${kind.name}: list matches wildcards, sorted, paged, with the total`, async (t) => {
    const s = await open(t, kind);
    await s.run(['eve', 'evan', 'jason', 'mason', 'bob'].map((name) => ({ op: 'createAccount', name, hash: 'h' }) as Op));
    t.deepEqual(await one(s, { op: 'list', pattern: 'ev*', offset: 0, limit: 10 }), { total: 2, names: ['evan', 'eve'] });
    t.deepEqual(await one(s, { op: 'list', pattern: '?ason', offset: 1, limit: 1 }), { total: 2, names: ['mason'] });
  });

  test(`${kind.name}: one failing operation does not undo the rest of its batch`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const bad = { op: 'nonsense' } as unknown as Op;
    const r = await s.run([insert(a, b, 1), bad, insert(a, b, 2)]);
    t.true(r[0]!.ok);
    t.like(r[1], { ok: false, error: 'unknown store operation nonsense' });
    t.true(r[2]!.ok);
    t.is(await one<number>(s, { op: 'count', recipientId: b }), 2);
  });
}

for (const kind of KINDS.filter((k) => k.durable)) {
test(`${kind.name}: the accounts and the next message id survive a reopen; ids are never reused`, async (t) => {
  const dir = kind.where();
  const s1 = kind.make(dir);
  const fresh = await s1.open();
  const [a, b] = await twoAccounts(s1);
  const m = { ...insert(a, b, 1), id: fresh.nextMessageId + 41 };
  await one(s1, m);
  await one(s1, { op: 'ack', recipientId: b, ids: [m.id] });
  const kept = { ...insert(a, b, 2, 'kept'), id: m.id + 1 };
  await one(s1, kept);
  await s1.close();
  const s2 = kind.make(dir);
  t.teardown(async () => {
    await s2.close();
    await kind.drop(dir);
  });
  const state = await s2.open();
  t.deepEqual(state.accounts.sort(), [
    ['alice', a],
    ['bob', b],
  ]);
  t.true(state.nextMessageId > kept.id);
  // What waits for each recipient, for the queue cap.
  t.deepEqual(state.queues, [[b, 1, 4]]);
});
}

for (const kind of KINDS.filter((k) => k.name === 'postgres')) {
  test(`${kind.name}: an ack keeps the receipts of an offline sender itself and marks them handled; those of a sender on this node are left to the service`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await twoAccounts(s);
    const m1 = insert(a, b, 1);
    await one(s, m1);
    const r1 = await one<{ receipts: Receipt[] }>(s, { op: 'ack', recipientId: b, ids: [m1.id] });
    t.deepEqual(r1.receipts, [{ id: m1.id, senderId: a, handled: true }]);
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: a }), [m1.id], 'kept for the next Login');
    await one(s, { op: 'bindSession', accountId: a, name: 'alice' });
    const m2 = insert(a, b, 2);
    await one(s, m2);
    const r2 = await one<{ receipts: Receipt[] }>(s, { op: 'ack', recipientId: b, ids: [m2.id] });
    t.deepEqual(r2.receipts, [{ id: m2.id, senderId: a }], 'alice is on this node: the service pushes it');
    t.deepEqual(await one(s, { op: 'takeReceipts', senderId: a }), [], 'and nothing was kept');
  });
}
