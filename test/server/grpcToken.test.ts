/**
 * gRPC session tokens: a fixed lifetime whatever the activity, and revocation by logout, takeover and
 * deletion. The lifetime runs on a clock the test moves (ManualClock), so expiry comes exactly when
 * the test says, however busy the machine.
 */
import test, { type ExecutionContext } from 'ava';
import { status } from '@grpc/grpc-js';
import { once } from 'node:events';
import pino from 'pino';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { PasswordHasher } from '../../src/server/auth.js';
import { ChatService } from '../../src/server/service.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import { GrpcTransport } from '../../src/server/transports/grpc.js';
import { ManualClock } from '../clock.js';
import { inbox, PASSWORD, startTestServer, TEST_COST } from './helpers.js';

const grpcCode = (e: unknown) => (e as { grpcCode?: number }).grpcCode;
const LIFETIME = 60_000;

/** A real hasher whose next password check (only that one) can be held, to stop a Login half-way. */
class GatedHasher extends PasswordHasher {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private reach: (() => void) | undefined;
  /** Resolves once a held check has begun. */
  reached: Promise<void> = Promise.resolve();

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
    this.reached = new Promise((resolve) => (this.reach = resolve));
  }

  release(): void {
    this.open?.();
  }

  override async verify(password: string, stored: string | undefined, key?: unknown): Promise<boolean> {
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      this.reach!();
      await gate;
    }
    return super.verify(password, stored, key);
  }
}

/** The service and its gRPC transport on the memory store, token lifetimes on a ManualClock. */
async function grpcServer(t: ExecutionContext) {
  const clock = new ManualClock();
  const hasher = new GatedHasher({ cost: TEST_COST });
  const log = pino({ level: 'silent' });
  const service = new ChatService(new MemoryStore(), hasher, log);
  await service.start();
  const transport = await GrpcTransport.listen(service, log, { host: '127.0.0.1', port: 0, tokenLifetimeMs: LIFETIME, now: clock.now });
  const clients: GrpcChatClient[] = [];
  t.teardown(async () => {
    hasher.release();
    await Promise.all(clients.map((c) => c.close()));
    await service.shutdown(1000);
    await transport.closeAll();
  });
  return {
    clock,
    hasher,
    /** A client of a fresh account, logged in. */
    async user(name: string, opts: { renew?: boolean } = {}) {
      const c = await GrpcChatClient.connect({ port: transport.port, ...opts });
      clients.push(c);
      await c.register(name, PASSWORD);
      await c.login(name, PASSWORD);
      return c;
    },
  };
}

test('an expired token gets UNAUTHENTICATED saying so, however active the session; logging in again loses nothing', async (t) => {
  const h = await grpcServer(t);
  // This client does not renew by itself, so the server's answer shows.
  const g = await h.user('tok-a', { renew: false });
  const sender = await h.user('tok-b');
  // Active all along, up to the last millisecond: the lifetime does not slide.
  for (let i = 0; i < 3; i++) {
    h.clock.advance(LIFETIME / 3 - 1);
    await g.listAccounts('tok-*');
  }
  h.clock.advance(3);
  const err = await t.throwsAsync(g.listAccounts('tok-*'));
  t.is(grpcCode(err), status.UNAUTHENTICATED);
  t.regex(err!.message, /expired/);
  await sender.send('tok-a', 'while expired');
  t.deepEqual(await g.login('tok-a', PASSWORD), { undelivered: 1 });
  t.deepEqual((await g.fetch(10)).messages.map((m) => m.content), ['while expired']);
});

test('logout and takeover revoke the token', async (t) => {
  const srv = await startTestServer({ grpcPort: 0 });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('rev-a', PASSWORD);
  await g.login('rev-a', PASSWORD);
  const token = g.token;
  await g.logout();
  g.token = token;
  const e1 = await t.throwsAsync(g.ping().then(() => g.fetch(1)));
  t.is(grpcCode(e1), status.UNAUTHENTICATED);
  await g.login('rev-a', PASSWORD);
  const before = g.token;
  const tcp = await srv.connect();
  await tcp.login('rev-a', PASSWORD);
  g.token = before;
  const e2 = await t.throwsAsync(g.fetch(1));
  t.is(grpcCode(e2), status.UNAUTHENTICATED);
});

test('the gRPC client renews an expired token by itself: its calls and its push stream carry on, nothing lost or doubled', async (t) => {
  const h = await grpcServer(t);
  const g = await h.user('renew-a');
  const sender = await h.user('renew-b');
  const pushed = inbox(g);
  await g.subscribe();
  const first = g.token;
  // Pushed and not acknowledged before the expiry: still queued after it, and it must not come twice.
  await sender.send('renew-a', 'pushed before the expiry');
  await pushed.until(1);

  const streamEnd = once(g, 'streamEnd');
  h.hasher.hold();
  h.clock.advance(LIFETIME);
  // The token has expired: this call fails once inside the client, which logs in again and repeats it.
  const sending = g.send('renew-b', 'sent across the renewal');
  // The renewal's Login is being checked: the old session is gone, the new one not made yet.
  await h.hasher.reached;
  await sender.send('renew-a', 'sent while no session had the account');
  h.hasher.release();
  t.true((await sending) > 0);
  t.not(g.token, first);
  t.deepEqual(await streamEnd, [undefined, 'expired']);

  await sender.send('renew-a', 'pushed after the renewal');
  // The one sent between the sessions was queued, not pushed: the client fetched it after the renewal.
  const got = (await pushed.until(3)).map((m) => m.content);
  t.deepEqual(got.slice(0, 1), ['pushed before the expiry']);
  t.deepEqual(got.slice(1).sort(), ['pushed after the renewal', 'sent while no session had the account']);
  t.deepEqual((await sender.fetch(10)).messages.map((m) => m.content), ['sent across the renewal'], 'stored once');
  // Everything the client emitted, once each: acknowledging the last leaves nothing behind.
  await g.ack(Math.max(...pushed.messages.map((m) => m.id)));
  t.deepEqual(await g.fetch(10), { remaining: 0, messages: [] });
  t.is(pushed.messages.length, 3);
});
