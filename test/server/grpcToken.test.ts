/** gRPC session tokens: a fixed lifetime whatever the activity, and revocation by logout, takeover and deletion. */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { GrpcChatClient } from '../../bench/lib/grpcClient.js';
import { inbox, PASSWORD, startTestServer } from './helpers.js';

const grpcCode = (e: unknown) => (e as { grpcCode?: number; code?: number }).grpcCode;

test('an expired token gets UNAUTHENTICATED saying so; logging in again loses nothing', async (t) => {
  const srv = await startTestServer({ grpcPort: 0, tokenLifetimeMs: 400 });
  t.teardown(() => srv.stop());
  // This client does not renew by itself, so the server's answer shows.
  const g = await GrpcChatClient.connect({ port: srv.grpcPort!, renew: false });
  t.teardown(() => g.close());
  await g.register('tok-a', PASSWORD);
  await g.login('tok-a', PASSWORD);
  const sender = await srv.user('tok-b');
  // Active all along: the lifetime does not slide.
  const until = Date.now() + 700;
  let err: unknown;
  while (Date.now() < until && !err) {
    try {
      await g.call('Ping');
      await g.call('ListAccounts', { pattern: 'tok-*', offset: 0, limit: 10 });
    } catch (e) {
      err = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!err) err = await g.call('ListAccounts', { pattern: '*', offset: 0, limit: 1 }).then(() => undefined, (e: unknown) => e);
  t.truthy(err);
  t.is(grpcCode(err), status.UNAUTHENTICATED);
  t.regex((err as Error).message, /expired/);
  await sender.send('tok-a', 'while expired');
  await g.login('tok-a', PASSWORD);
  const batch = await g.call('FetchUndelivered', { max: 10 });
  t.deepEqual((batch.messages as Array<{ content: string }>).map((m) => m.content), ['while expired']);
});

test('logout and takeover revoke the token', async (t) => {
  const srv = await startTestServer({ grpcPort: 0 });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('rev-a', PASSWORD);
  await g.login('rev-a', PASSWORD);
  const token = g.token;
  await g.call('Logout');
  g.token = token;
  const e1 = await t.throwsAsync(g.call('Ping').then(() => g.call('FetchUndelivered', { max: 1 })));
  t.is(grpcCode(e1), status.UNAUTHENTICATED);
  await g.login('rev-a', PASSWORD);
  const before = g.token;
  const tcp = await srv.connect();
  await tcp.login('rev-a', PASSWORD);
  g.token = before;
  const e2 = await t.throwsAsync(g.call('FetchUndelivered', { max: 1 }));
  t.is(grpcCode(e2), status.UNAUTHENTICATED);
});

test('the gRPC client renews an expired token by itself: its calls and its push stream carry on, nothing lost or doubled', async (t) => {
  // Long enough that the renewed token outlives the rest of the test on a busy machine.
  const srv = await startTestServer({ grpcPort: 0, tokenLifetimeMs: 1500 });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('renew-a', PASSWORD);
  await g.login('renew-a', PASSWORD);
  const pushed = inbox(g);
  await g.subscribe();
  const first = g.token;
  const sender = await srv.user('renew-b');
  await new Promise((resolve) => setTimeout(resolve, 1700));
  // The token has expired: this call fails once inside the client, which logs in again and repeats it.
  const id = await g.send('renew-b', 'sent across the renewal');
  t.true(id > 0);
  t.not(g.token, first);
  await sender.send('renew-a', 'pushed after the renewal');
  t.deepEqual(
    (await pushed.until(1)).map((m) => m.content),
    ['pushed after the renewal'],
  );
  const got = (await sender.fetch(10)).messages.map((m) => m.content);
  t.deepEqual(got, ['sent across the renewal'], 'stored once');
});
