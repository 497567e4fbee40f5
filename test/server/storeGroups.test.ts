/**
 * The group operations of every Store (groupOps.ts), one suite for all of them, as store.test.ts
 * is for the rest: memberships and their positions, messages stored once, fetch and count merged
 * with one-to-one messages, resends, the backlog cap, ownership passing on.
 */
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { GroupInsertOp, GroupOp, GroupResultOf, Who } from '../../src/server/store/groupOps.js';
import type { DeleteResult, InsertOp, NodeEvent, Op, Store, StoredMessage } from '../../src/server/store/store.js';
import { KINDS, one, open, type Kind } from './storeKinds.js';
import { removeDir, tempDir } from './helpers.js';
import { pgMissing, schemaUrl } from './pg.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { dropSchema, PostgresStore } from '../../src/server/store/postgres.js';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseUrl } from '../../src/server/store/postgres.js';
import { channelOf } from '../../src/server/store/postgresLink.js';
import { ident } from '../../src/server/store/postgresSchema.js';
import { eventsOf } from '../../src/server/store/postgresWakes.js';
import { waitFor } from '../wait.js';

const DAY = 24 * 60 * 60 * 1000;


/** Accounts by name, created in order. */
async function accounts<N extends string[]>(s: Store, ...names: N): Promise<{ [K in keyof N]: Who }> {
  const out: Who[] = [];
  for (const name of names) out.push({ id: await one<number>(s, { op: 'createAccount', name, hash: 'h' }), name });
  return out as { [K in keyof N]: Who };
}

const LIMITS = { maxMembers: 256, maxGroups: 100 };
const create = (owner: Who, group = '#g', inviteOnly = false): GroupOp => ({ op: 'groupCreate', group, owner, inviteOnly, now: Date.now(), maxGroups: LIMITS.maxGroups });
const join = (who: Who, group = '#g', limits = LIMITS): GroupOp => ({ op: 'groupJoin', group, who, ...limits });

let nextId = 1000;
const post = (sender: Who, content = 'hi', clientId = 0, group = '#g', cap = { maxQueue: 10_000, maxQueueBytes: 1 << 22 }): GroupInsertOp => {
  const sentAt = Date.now();
  return { op: 'groupInsert', id: nextId++, group, senderId: sender.id, sender: sender.name, clientId, flags: 0, sentAt, content, dedupSince: sentAt - DAY, ...cap };
};

type Page = { messages: StoredMessage[]; remaining: number };
const fetch = (s: Store, who: Who, max = 50, after?: number) => one<Page>(s, { op: 'fetch', recipientId: who.id, max, ...(after !== undefined ? { after } : {}) });
const count = (s: Store, who: Who) => one<number>(s, { op: 'count', recipientId: who.id });
const ack = (s: Store, who: Who, ids: number[]) => one<GroupResultOf['groupAck']>(s, { op: 'groupAck', accountId: who.id, ids });
const contents = (p: Page) => p.messages.map((m) => m.content);

for (const kind of KINDS) {
  const k = kind.name;

  test(`${k}: a group message is stored once for its members: each fetches it with the group's name, its sender nothing`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    t.deepEqual(await one(s, create(a)), { ok: true });
    t.like(await one(s, join(b)), { ok: true, joined: true });
    await one(s, join(c));
    const m = post(a, 'hello');
    const r = await one<GroupResultOf['groupInsert']>(s, m);
    t.true(r.stored);
    t.deepEqual((r as { recipients: number[] }).recipients.sort(), [b.id, c.id].sort());
    for (const who of [b, c]) {
      const p = await fetch(s, who);
      t.like(p.messages[0], { id: m.id, group: '#g', senderName: 'alice', content: 'hello', senderDeleted: false });
      t.is(await count(s, who), 1);
    }
    t.is(await count(s, a), 0, 'no echo for the sender');
  });

  test(`${k}: members see what was sent after they joined, not before`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await accounts(s, 'alice', 'bob');
    await one(s, create(a));
    await one(s, post(a, 'before'));
    await one(s, join(b));
    await one(s, post(a, 'after'));
    t.deepEqual(contents(await fetch(s, b)), ['after']);
  });

  test(`${k}: an ack moves the member's position; one that runs ahead keeps the earlier message waiting until it is acknowledged too`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    await one(s, create(a));
    await one(s, join(b));
    await one(s, join(c));
    const [m1, m2, m3] = [post(a, 'one'), post(c, 'two'), post(a, 'three')];
    await s.run([m1, m2, m3]);
    t.deepEqual(await ack(s, b, [m2.id]), { acked: [{ id: m2.id, senderId: c.id }] });
    t.deepEqual(contents(await fetch(s, b)), ['one', 'three'], 'the one acknowledged ahead is gone, the earlier one waits');
    t.deepEqual(await ack(s, b, [m2.id]), { acked: [] }, 'acknowledged once only');
    t.deepEqual((await ack(s, b, [m1.id, m3.id])).acked.map((x) => x.id).sort(), [m1.id, m3.id].sort());
    t.is(await count(s, b), 0);
    // carol skips her own message: acknowledging the others empties her queue.
    t.deepEqual(contents(await fetch(s, c)), ['one', 'three']);
    await ack(s, c, [m3.id]);
    t.deepEqual(contents(await fetch(s, c)), ['one']);
    await ack(s, c, [m1.id]);
    t.is(await count(s, c), 0);
    t.deepEqual(await ack(s, a, [m1.id, 424242]), { acked: [] }, "a sender's own message and an unknown id are left alone");
  });

  test(`${k}: fetch merges one-to-one and group messages by id, pages with \`after\`, and counts both`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await accounts(s, 'alice', 'bob');
    await one(s, create(a));
    await one(s, join(b));
    const direct = (content: string): InsertOp => {
      const sentAt = Date.now();
      return { op: 'insert', id: nextId++, senderId: a.id, recipientId: b.id, clientId: 0, flags: 0, sentAt, content: Buffer.from(content), dedupSince: sentAt - DAY };
    };
    const ops = [direct('d1'), post(a, 'g1'), direct('d2'), post(a, 'g2')];
    await s.run(ops);
    t.is(await count(s, b), 4);
    const p1 = await fetch(s, b, 3);
    t.deepEqual(contents(p1), ['d1', 'g1', 'd2']);
    t.deepEqual(p1.messages.map((m) => m.group), [undefined, '#g', undefined]);
    t.is(p1.remaining, 1);
    const p2 = await fetch(s, b, 3, ops[1]!.id);
    t.deepEqual([contents(p2), p2.remaining], [['d2', 'g2'], 0]);
  });

  test(`${k}: a resend is the first message; its client id reused for other text, another group or a one-to-one message is refused`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await accounts(s, 'alice', 'bob');
    await one(s, create(a));
    await one(s, create(a, '#h'));
    await one(s, join(b));
    const first = post(a, 'hello', 7);
    t.like(await one(s, first), { stored: true });
    t.deepEqual(await one(s, post(a, 'hello', 7)), { stored: false, duplicateOf: first.id });
    t.deepEqual(await one(s, post(a, 'other', 7)), { stored: false, reused: true });
    t.deepEqual(await one(s, post(a, 'hello', 7, '#h')), { stored: false, reused: true });
    const sentAt = Date.now();
    const direct: InsertOp = { op: 'insert', id: nextId++, senderId: a.id, recipientId: b.id, clientId: 7, flags: 0, sentAt, content: Buffer.from('hello'), dedupSince: sentAt - DAY };
    t.deepEqual(await one(s, direct), { stored: false, reused: true });
    t.is(await count(s, b), 1);
  });

  test(`${k}: no such group, not a member`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await accounts(s, 'alice', 'bob');
    await one(s, create(a));
    t.deepEqual(await one(s, post(a, 'x', 0, '#nope')), { stored: false, refused: 'noSuchGroup' });
    t.deepEqual(await one(s, post(b)), { stored: false, refused: 'notMember' });
  });

  test(`${k}: the backlog cap: a group whose slowest member has the most messages (or bytes) waiting refuses more until it reads`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    await one(s, create(a));
    await one(s, join(b));
    await one(s, join(c));
    const cap = { maxQueue: 2, maxQueueBytes: 1000 };
    const m1 = post(a, 'one', 0, '#g', cap);
    const m2 = post(a, 'two', 0, '#g', cap);
    await s.run([m1, m2]);
    t.deepEqual(await one(s, post(a, 'three', 0, '#g', cap)), { stored: false, refused: 'full' });
    await ack(s, b, [m1.id, m2.id]);
    t.deepEqual(await one(s, post(a, 'three', 0, '#g', cap)), { stored: false, refused: 'full' }, 'carol has not read');
    await ack(s, c, [m1.id]);
    t.like(await one(s, post(a, 'three', 0, '#g', cap)), { stored: true });
    t.deepEqual(await one(s, post(a, 'x'.repeat(600), 0, '#g', { maxQueue: 100, maxQueueBytes: 600 })), { stored: false, refused: 'full' }, 'bytes count too');
  });

  test(`${k}: create, join, invite: names taken, invite-only, full, too many groups, idempotent joins`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c, d] = await accounts(s, 'alice', 'bob', 'carol', 'dave');
    await one(s, create(a, '#priv', true));
    t.deepEqual(await one(s, create(b, '#priv')), { refused: 'taken' });
    t.deepEqual(await one(s, join(b, '#priv')), { refused: 'notInvited' });
    t.deepEqual(await one(s, { op: 'groupInvite', group: '#priv', by: c, who: b }), { refused: 'notMember' });
    t.deepEqual(await one(s, { op: 'groupInvite', group: '#priv', by: a, who: b }), { ok: true, member: false });
    t.like(await one(s, join(b, '#priv')), { ok: true, joined: true });
    t.like(await one(s, join(b, '#priv')), { ok: true, joined: false });
    t.deepEqual(await one(s, { op: 'groupInvite', group: '#priv', by: b, who: a }), { ok: true, member: true });
    t.deepEqual(await one(s, { op: 'groupInvite', group: '#nope', by: a, who: b }), { refused: 'noSuchGroup' });
    await one(s, { op: 'groupInvite', group: '#priv', by: a, who: c });
    t.deepEqual(await one(s, join(c, '#priv', { maxMembers: 2, maxGroups: 100 })), { refused: 'full' });
    t.deepEqual(await one(s, join(c, '#priv', { maxMembers: 10, maxGroups: 0 })), { refused: 'tooMany' });
    t.deepEqual(await one(s, { ...create(d, '#d'), maxGroups: 0 } as GroupOp), { refused: 'tooMany' });
    await one(s, { op: 'deleteAccount', accountId: d.id, force: true });
    t.deepEqual(await one(s, { op: 'groupInvite', group: '#priv', by: a, who: d }), { refused: 'noSuchUser' });
  });

  test(`${k}: list: public groups and the invite-only ones you are in or invited to, matched after the #, sorted, paged`, async (t) => {
    const s = await open(t, kind);
    const [a, b] = await accounts(s, 'alice', 'bob');
    await s.run([create(a, '#rust'), create(a, '#ruby', true), create(b, '#go'), create(a, '#rx', true)]);
    await one(s, { op: 'groupInvite', group: '#rx', by: a, who: b });
    type L = GroupResultOf['groupList'];
    const list = (who: Who, pattern: string, offset = 0, limit = 10) => one<L>(s, { op: 'groupList', pattern, accountId: who.id, offset, limit });
    t.deepEqual(await list(b, 'r*'), {
      total: 2,
      groups: [
        { name: '#rust', memberCount: 1, inviteOnly: false, member: false, invited: false, owner: false },
        { name: '#rx', memberCount: 1, inviteOnly: true, member: false, invited: true, owner: false },
      ],
    });
    t.deepEqual((await list(a, '*')).groups.map((g) => g.name), ['#go', '#ruby', '#rust', '#rx']);
    t.like(await list(a, '?u*', 1, 1), { total: 2, groups: [{ name: '#rust', owner: true, member: true }] });
  });

  test(`${k}: members: sorted by name, paged, the owner marked; an invite-only group's only for its members`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'carol', 'alice', 'bob');
    await one(s, create(a, '#g', true));
    for (const who of [b, c]) {
      await one(s, { op: 'groupInvite', group: '#g', by: a, who });
      await one(s, join(who));
    }
    type M = GroupResultOf['groupMembers'];
    t.deepEqual(await one<M>(s, { op: 'groupMembers', group: '#g', accountId: b.id, offset: 1, limit: 5 }), {
      total: 3,
      members: [
        { name: 'bob', accountId: c.id, owner: false },
        { name: 'carol', accountId: a.id, owner: true },
      ],
    });
    const [x] = await accounts(s, 'xavier');
    t.deepEqual(await one(s, { op: 'groupMembers', group: '#g', accountId: x.id, offset: 0, limit: 5 }), { refused: 'notMember' });
    t.deepEqual(await one(s, { op: 'groupMembers', group: '#none', accountId: x.id, offset: 0, limit: 5 }), { refused: 'noSuchGroup' });
  });

  test(`${k}: leaving drops what waited for the member; an owner's leaving passes the group to its longest-standing member; the last one's deletes it`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    await one(s, create(a));
    await one(s, join(c));
    await one(s, join(b));
    await one(s, post(a, 'for you'));
    const left = await one<{ members: number[] }>(s, { op: 'groupLeave', group: '#g', who: b });
    t.deepEqual(left.members.sort((x, y) => x - y), [a.id, c.id].sort((x, y) => x - y), 'bob left');
    t.is(await count(s, b), 0);
    t.deepEqual(await one(s, { op: 'groupLeave', group: '#g', who: b }), { refused: 'notMember' });
    const r = await one<{ members: number[]; newOwner?: Who }>(s, { op: 'groupLeave', group: '#g', who: a });
    t.deepEqual(r.newOwner, c, 'carol joined before bob');
    t.deepEqual(await one(s, { op: 'groupLeave', group: '#g', who: c }), { ok: true, members: [], deleted: true });
    t.like(await one(s, create(b)), { ok: true }, 'the name is free again');
  });

  test(`${k}: kick and delete are the owner's; a kicked member loses its invite; a deleted group's name is free`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    await one(s, create(a, '#g', true));
    await one(s, { op: 'groupInvite', group: '#g', by: a, who: b });
    await one(s, join(b));
    await one(s, post(a, 'x'));
    t.deepEqual(await one(s, { op: 'groupKick', group: '#g', by: b, who: a }), { refused: 'notOwner' });
    t.deepEqual(await one(s, { op: 'groupKick', group: '#g', by: a, who: c }), { refused: 'notMember' });
    t.deepEqual(await one(s, { op: 'groupKick', group: '#g', by: a, who: b }), { ok: true, members: [a.id] });
    t.is(await count(s, b), 0, 'what waited is gone');
    t.deepEqual(await one(s, join(b)), { refused: 'notInvited' });
    t.deepEqual(await one(s, { op: 'groupDelete', group: '#g', by: b }), { refused: 'notOwner' });
    t.deepEqual(await one(s, { op: 'groupDelete', group: '#g', by: a }), { ok: true, members: [a.id], deleted: true });
    t.deepEqual(await one(s, { op: 'groupDelete', group: '#g', by: a }), { refused: 'noSuchGroup' });
    t.like(await one(s, create(c)), { ok: true });
  });

  test(`${k}: deleting an account counts its group messages as waiting, takes it out of its groups and passes on what it owned`, async (t) => {
    const s = await open(t, kind);
    const [a, b, c] = await accounts(s, 'alice', 'bob', 'carol');
    await one(s, create(a, '#mine'));
    await one(s, join(b, '#mine'));
    await one(s, join(c, '#mine'));
    await one(s, create(b, '#solo'));
    await one(s, join(a, '#solo'));
    await one(s, post(b, 'for alice', 0, '#mine'));
    t.deepEqual(await one(s, { op: 'deleteAccount', accountId: a.id, force: false }), { deleted: false, waiting: 1 });
    const r = await one<DeleteResult>(s, { op: 'deleteAccount', accountId: a.id, force: true });
    t.true(r.deleted);
    const groups = (r as { groups: Array<{ group: string; newOwner?: Who }> }).groups;
    t.deepEqual(groups.map((g) => [g.group, g.newOwner?.name]).sort(), [['#mine', 'bob'], ['#solo', undefined]]);
    type M = GroupResultOf['groupMembers'];
    const m = await one<M>(s, { op: 'groupMembers', group: '#mine', accountId: b.id, offset: 0, limit: 5 });
    t.deepEqual((m as { members: Array<{ name: string; owner: boolean }> }).members.map((x) => [x.name, x.owner]), [['bob', true], ['carol', false]]);
    t.deepEqual(contents(await fetch(s, c)), ['for alice'], "its messages' other members keep theirs");
  });
}

test('sqlite: a group message is one row whatever the number of members, removed once every member has acknowledged it', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const s = new SqliteStore({ dataDir: dir });
  await s.open();
  const all = await accounts(s, ...Array.from({ length: 20 }, (_, i) => `m${i}`));
  await one(s, create(all[0]!));
  for (const who of all.slice(1)) await one(s, join(who));
  const m = post(all[0]!, 'stored once');
  await one(s, m);
  const rows = () => {
    const db = new Database(path.join(dir, 'termchat.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM group_messages').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  t.is(rows(), 1);
  for (const who of all.slice(1, -1)) await ack(s, who, [m.id]);
  t.is(rows(), 1, 'one member has not acknowledged it');
  await ack(s, all.at(-1)!, [m.id]);
  t.is(rows(), 0);
  await s.close();
});

if ((await pgMissing) === undefined) {
  test('postgres: a batch of group messages wakes the other nodes with one NOTIFY per batch (cut under the payload limit), not one per member', async (t) => {
    const url = schemaUrl();
    const s = new PostgresStore({ url });
    await s.open();
    const { connectionString, schema } = parseUrl(url);
    const db = new pg.Client({ connectionString });
    await db.connect();
    t.teardown(async () => {
      await db.end();
      await s.close();
      await dropSchema(url);
    });
    const all = await accounts(s, ...Array.from({ length: 30 }, (_, i) => `m${i}`));
    await one(s, create(all[0]!));
    for (const who of all.slice(1)) await one(s, join(who));
    // Every other member online on one of two other nodes.
    const others = [randomUUID(), randomUUID()];
    const q = `${ident(schema)}.`;
    for (const n of others) await db.query(`INSERT INTO ${q}nodes (node_id, lease_until) VALUES ($1, now() + interval '1 hour')`, [n]);
    for (const [i, who] of all.slice(1).entries()) {
      await db.query(`INSERT INTO ${q}presence (account_id, name, node_id, claim) VALUES ($1, $2, $3, $4)`, [who.id, who.name, others[i % 2], i + 1]);
    }
    const heard: string[] = [];
    db.on('notification', (n) => heard.push(n.payload ?? ''));
    await db.query(`LISTEN "${channelOf(schema)}"`);
    const batch = Array.from({ length: 5 }, (_, i) => post(all[0]!, `m${i}`));
    await s.run(batch);
    // Notifications arrive in commit order: once this one is heard, the batch's are too.
    await db.query(`NOTIFY "${channelOf(schema)}", 'marker'`);
    await waitFor(() => heard.includes('marker'), 'the marker notification');
    const wakes = heard.filter((p) => p !== 'marker');
    t.is(wakes.length, 1);
    const events = eventsOf(wakes[0]!, 'another node');
    t.is(events.length, 1);
    const messages = (events[0] as Extract<NodeEvent, { type: 'groupMessages' }>).messages;
    t.deepEqual(
      messages.map((m) => [m.id, m.content, m.recipients.length]),
      batch.map((m) => [m.id, m.content, 29]),
    );
  });
}
