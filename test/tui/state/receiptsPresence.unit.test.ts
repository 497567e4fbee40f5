import test from 'ava';
import { loggedIn, run } from './helpers.js';

const sent = (clientId: number, recipient = 'alice', text = `s${clientId}`) =>
  ({ type: 'sendStarted', clientId, recipient, text, at: Date.UTC(2026, 10, 30, 12, 0), fromCompose: true }) as const;

test('a receipt shows a sent message as delivered; the others stay queued', (t) => {
  let s = run(loggedIn(), sent(1), sent(2), { type: 'sendAccepted', clientId: 1, id: 10 }, { type: 'sendAccepted', clientId: 2, id: 11 });
  t.deepEqual(s.convs.entries.map((e) => e.delivery), ['queued', 'queued']);
  s = run(s, { type: 'delivered', ids: [10, 99] });
  t.deepEqual(s.convs.entries.map((e) => [e.id, e.delivery]), [
    [10, 'delivered'],
    [11, 'queued'],
  ]);
});

test('delivered is final: a repeated Accepted does not turn it back to queued', (t) => {
  const s = run(loggedIn(), sent(1), { type: 'sendAccepted', clientId: 1, id: 10 }, { type: 'delivered', ids: [10] }, { type: 'sendAccepted', clientId: 1, id: 10 });
  t.is(s.convs.entries[0]!.delivery, 'delivered');
});

test('a receipt never marks a received message', (t) => {
  const s = run(
    loggedIn(),
    { type: 'messages', messages: [{ id: 10, sender: 'alice', clientId: 0, flags: 0, sentAt: 1, text: 'hi' }], live: true },
    { type: 'delivered', ids: [10] },
  );
  t.is(s.convs.entries[0]!.delivery, undefined);
});

test('presence: unknown until the server says; the answer replaces the set, pushes change it', (t) => {
  let s = loggedIn();
  t.is(s.users.online, null);
  s = run(s, { type: 'presence', online: ['alice', 'carol'] });
  t.deepEqual([...s.users.online!].sort(), ['alice', 'carol']);
  s = run(s, { type: 'presence', changes: [{ name: 'carol', online: false }, { name: 'dave', online: true }] });
  t.deepEqual([...s.users.online!].sort(), ['alice', 'dave']);
  s = run(s, { type: 'presence', online: ['bob'], changes: [{ name: 'alice', online: true }] });
  t.deepEqual([...s.users.online!].sort(), ['alice', 'bob']);
});
