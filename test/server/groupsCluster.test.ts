/**
 * Group conversations across three real termchat-server nodes on one PostgreSQL database, members
 * on each: every message once and in order per sender, changes and delivery counts heard across
 * nodes, a kick on one node stopping delivery on another, and a node killed with SIGKILL while a
 * sender streams (nothing Accepted lost, nothing repeated under another id).
 */
import type { ExecutionContext } from 'ava';
import { ChatClient, type FetchedMessage, type GroupChatMessage } from '../../src/protocol/client.js';
import { GroupChange, MessageFlags } from '../../src/protocol/schema.js';
import { collect } from './groupEvents.js';
import { PASSWORD } from './helpers.js';
import { freshSchema, pgTest } from './pg.js';
import { waitFor } from '../wait.js';

import { client, LEASE_MS, nodes as nodesOn, user } from './nodes.js';

const test = await pgTest();
/** Nodes that report group delivery counts quickly. */
const nodes = (t: ExecutionContext, n: number) => nodesOn(t, n, freshSchema(t), LEASE_MS, ['--group-receipt-ms', '20']);


/** Fetches and acknowledges everything waiting. */
async function drain(c: ChatClient): Promise<FetchedMessage[]> {
  const all: FetchedMessage[] = [];
  for (;;) {
    const { messages, remaining } = await c.fetch(200);
    all.push(...messages);
    if (messages.length > 0) await c.ack(messages.at(-1)!.id);
    if (remaining === 0 || messages.length === 0) return all;
  }
}

test('senders on three nodes, members on each: every member is pushed every message once, each sender in order', async (t) => {
  const ns = await nodes(t, 3);
  const members = await Promise.all(ns.flatMap((n, i) => [user(t, n, `m${i}a`), user(t, n, `m${i}b`)]));
  await members[0]!.createGroup('#wide');
  for (const m of members.slice(1)) await m.joinGroup('#wide');
  const per = 60;
  const got = members.map((m) => collect(m, 'groupMessage'));
  const senders = [members[0]!, members[2]!, members[4]!];
  await Promise.all(senders.map((c, i) => Promise.all(Array.from({ length: per }, (_, k) => c.send('#wide', `${i}:${k}`)))));
  for (const [i, g] of got.entries()) {
    const mine = senders.indexOf(members[i]!);
    const expected = per * (mine >= 0 ? 2 : 3);
    const all = await g.until(expected);
    t.is(new Set(all.map((m) => m.id)).size, expected, `member ${i}: each once`);
    for (let s = 0; s < 3; s++) {
      if (s === mine) continue;
      const seq = all.filter((m) => m.content.startsWith(`${s}:`)).map((m) => Number(m.content.split(':')[1]));
      t.deepEqual(seq, Array.from({ length: per }, (_, k) => k), `member ${i} hears sender ${s} in order`);
    }
  }
});

test('across nodes: changes are heard, a kick stops delivery at once, delivery counts and ownership cross too', async (t) => {
  const [a, b, c] = await nodes(t, 3);
  const alice = await user(t, a!, 'alice');
  const bob = await user(t, b!, 'bob');
  const bea = await user(t, b!, 'bea');
  const carol = await user(t, c!, 'carol');
  const heard = collect(carol, 'groupChanged');
  await alice.createGroup('#x');
  await carol.joinGroup('#x');
  await bob.joinGroup('#x');
  await bea.joinGroup('#x');
  await waitFor(() => heard.items.filter((e) => e.change === GroupChange.JOINED).length >= 3, 'three joins heard on node c');
  const counts = collect(alice, 'groupDelivered');
  const [atBob, atBea] = [collect(bob, 'groupMessage'), collect(bea, 'groupMessage')];
  const first = await alice.send('#x', 'first');
  for (const m of [await atBob.next(), await atBea.next()]) t.like(m, { id: first, group: '#x', sender: 'alice' });
  await bob.ack(first);
  await bea.ack(first);
  await waitFor(() => counts.items.find((x) => x.id === first && x.delivered === 2), 'delivered 2 of 3 heard on node a');
  await alice.kickFromGroup('#x', 'bob');
  await waitFor(() => heard.items.find((e) => e.change === GroupChange.KICKED && e.name === 'bob'), 'the kick heard on node c');
  const second = await alice.send('#x', 'second');
  t.like(await atBea.next(), { id: second });
  // A push to bob would have come with bea's, from the same wake-up on node b: before this answer.
  await bob.ping();
  t.deepEqual(atBob.items.map((m) => m.id), [first]);
  t.deepEqual(await alice.deleteAccount(PASSWORD, true), { deleted: true });
  const after = await waitFor(() => {
    const x = heard.items.filter((e) => e.change === GroupChange.LEFT || e.change === GroupChange.OWNER);
    return x.length >= 2 && x;
  }, 'LEFT and OWNER heard on node c');
  t.deepEqual(
    after.map((e) => [e.change, e.name]),
    [
      [GroupChange.LEFT, 'alice'],
      [GroupChange.OWNER, 'carol'],
    ],
  );
  t.deepEqual((await bea.listMembers('#x')).members.map((m) => [m.username, m.presence, m.role]), [
    ['bea', 1, 0],
    ['carol', 1, 1],
  ]);
});

test('kill -9 of a node mid-stream: every Accepted group message reaches every member once, in order; the sender goes on from another node', async (t) => {
  const [a, b, c] = await nodes(t, 3);
  let alice = await user(t, a!, 'alice');
  const onA = await user(t, a!, 'mia');
  const onB = await user(t, b!, 'mob');
  const onC = await user(t, c!, 'moc');
  await alice.createGroup('#live');
  for (const m of [onA, onB, onC]) await m.joinGroup('#live');
  const pushed = new Map<ChatClient, GroupChatMessage[]>([onA, onB, onC].map((m) => [m, []]));
  for (const [m, list] of pushed) {
    m.on('groupMessage', (x) => {
      list.push(x);
      m.ack(x.id).catch(() => undefined);
    });
  }
  const total = 300;
  const clientIds = Array.from({ length: total }, () => alice.newClientId());
  const accepted = new Map<number, number>(); // clientId -> message id
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const cid = clientIds[i]!;
    inflight.push(alice.send('#live', `m${i}`, cid).then((id) => void accepted.set(cid, id), () => undefined));
    if (i === total / 2) a!.child.kill('SIGKILL');
    if (i % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  t.true(accepted.size < total, 'the kill cut the stream');
  // The sender moves to node c and resends what was never answered, flagged RESEND.
  alice = await client(t, c!);
  await alice.login('alice', PASSWORD);
  for (const [i, cid] of clientIds.entries()) {
    if (!accepted.has(cid)) accepted.set(cid, await alice.send('#live', `m${i}`, cid, MessageFlags.RESEND));
  }
  // The member on the dead node comes back on node b and fetches what it had not acknowledged.
  const back = await client(t, b!);
  await back.login('mia', PASSWORD);
  const fetched = await drain(back);
  const ids = clientIds.map((cid) => accepted.get(cid)!);
  t.deepEqual([...ids].sort((x, y) => x - y), ids, 'ids follow the order alice sent in');
  for (const m of [onB, onC]) {
    const list = await waitFor(() => {
      const l = pushed.get(m)!;
      return l.length >= total && l;
    }, 'every message pushed to the members that stayed');
    t.deepEqual(
      list.map((x) => x.id),
      ids,
      'each pushed once, in order',
    );
  }
  const seenByA = new Map<number, string>();
  for (const x of [...pushed.get(onA)!, ...fetched]) {
    const was = seenByA.get(x.clientId);
    t.true(was === undefined || was === `${x.id}`, 'a repeat to the member on the dead node has the same id');
    seenByA.set(x.clientId, `${x.id}`);
  }
  t.is(seenByA.size, total, 'the member on the dead node has them all');
});
