/**
 * GrpcChatClient where it is more than a wrapper of calls: ChatClient's events from the push stream
 * (receipts, presence, every push, a repeated push dropped), and close(). Token renewal is in
 * test/server/grpcToken.test.ts; the rules themselves over gRPC in test/server/grpc.test.ts.
 */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { once } from 'node:events';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { inbox, PASSWORD, startTestServer, type TestServer } from '../server/helpers.js';
import { record } from '../server/events.js';

let srv: TestServer;
const open: GrpcChatClient[] = [];

test.before(async () => {
  srv = await startTestServer({ grpcPort: 0 });
});
test.after.always(async () => {
  await Promise.all(open.map((c) => c.close()));
  await srv?.stop();
});

/** A gRPC client of a fresh account, logged in, its push stream open. */
async function grpcUser(name: string): Promise<GrpcChatClient> {
  const c = await GrpcChatClient.connect({ port: srv.grpcPort! });
  open.push(c);
  await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  await c.subscribe();
  return c;
}

test('presence and receipts come as ChatClient events (presence, delivered), and each push as push', async (t) => {
  const a = await grpcUser('gc-watcher');
  const b = await grpcUser('gc-reader');
  const pushes: string[] = [];
  a.on('push', (p) => pushes.push(p.type));
  const rec = record(a);
  t.deepEqual(await a.watch(['gc-reader', 'gc-later']), ['gc-reader']);
  await srv.user('gc-later');
  t.deepEqual(await rec.until(1), [{ name: 'gc-later', online: true }]);
  const box = inbox(b);
  const id = await a.send('gc-reader', 'read me');
  await box.until(1);
  await b.ack(id);
  t.deepEqual(await rec.until(2), [{ name: 'gc-later', online: true }, { delivered: [id] }]);
  t.deepEqual(pushes, ['PresenceChanged', 'Delivered']);
});

test('a message pushed again under a new id (a resend without RESEND) is a push, not a second message', async (t) => {
  const a = await grpcUser('gc-resender');
  const b = await grpcUser('gc-twice');
  const pushed: string[] = [];
  b.on('push', (p) => void (p.type === 'Message' && pushed.push(p.content)));
  const box = inbox(b);
  const clientId = a.newClientId();
  const id = await a.send('gc-twice', 'once', clientId);
  t.is(await a.send('gc-twice', 'once', clientId), id);
  await a.send('gc-twice', 'next');
  t.deepEqual((await box.until(2)).map((m) => m.content), ['once', 'next']);
  t.deepEqual(pushed, ['once', 'once', 'next']);
});

test('close() ends the push stream, emits close, and later calls fail', async (t) => {
  const a = await grpcUser('gc-closer');
  const ended = once(a, 'streamEnd');
  const closed = once(a, 'close');
  await a.close();
  t.deepEqual(await closed, [undefined]);
  t.is((await ended)[0], status.CANCELLED);
  t.false(a.isOpen);
  await t.throwsAsync(a.ping());
});
