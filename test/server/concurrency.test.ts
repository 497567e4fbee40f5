import test from 'ava';
import type { ChatClient, ChatMessage } from '../../src/protocol/client.js';
import { startTestServer } from './helpers.js';

test('50 clients sending to each other at once: every accepted message arrives exactly once, in order per sender', async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  const N = 50;
  const PER = 20;
  const names = Array.from({ length: N }, (_, i) => `user${i}`);
  const clients: ChatClient[] = await Promise.all(names.map((n) => srv.user(n)));

  // Live pushes, deduplicated by id (a message may also come again by fetch).
  const received = names.map(() => new Map<number, ChatMessage>());
  clients.forEach((c, i) => c.on('message', (m) => received[i]!.set(m.id, m)));

  // Each client sends PER messages, round-robin to the others, all pipelined.
  const accepted = await Promise.all(
    clients.map((c, i) =>
      Promise.all(
        Array.from({ length: PER }, async (_, k) => {
          const to = (i + 1 + (k % (N - 1))) % N;
          const id = await c.send(names[to]!, `${i}:${k}`);
          return { id, to, k };
        }),
      ),
    ),
  );

  // Everyone fetches and acks until their queue is empty, then checks nothing is left.
  await Promise.all(
    clients.map(async (c, i) => {
      for (;;) {
        const { messages, remaining } = await c.fetch(200);
        for (const m of messages) received[i]!.set(m.id, m);
        const last = messages.at(-1);
        if (last) await c.ack(last.id);
        if (remaining === 0 && messages.length === 0) break;
      }
    }),
  );

  let total = 0;
  accepted.forEach((sent, i) => {
    for (const { id, to, k } of sent) {
      const m = received[to]!.get(id);
      t.truthy(m, `message ${i}:${k} reached ${names[to]}`);
      t.is(m?.content, `${i}:${k}`);
      t.is(m?.sender, names[i]);
      total++;
    }
  });
  t.is(total, N * PER);
  t.is(
    received.reduce((n, r) => n + r.size, 0),
    N * PER,
    'no extra messages',
  );

  // Per sender order: at each recipient, one sender's messages come in the order they were sent.
  for (const r of received) {
    const bySender = new Map<string, number[]>();
    for (const m of [...r.values()].sort((a, b) => a.id - b.id)) {
      const [, k] = m.content.split(':');
      const list = bySender.get(m.sender) ?? [];
      list.push(Number(k));
      bySender.set(m.sender, list);
    }
    for (const ks of bySender.values()) t.deepEqual(ks, [...ks].sort((a, b) => a - b));
  }
});
