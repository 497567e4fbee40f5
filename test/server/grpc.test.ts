import test, { type ExecutionContext } from 'ava';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { once } from 'node:events';
import { ChatClient } from '../../src/protocol/client.js';
import { ServerError } from '../../src/protocol/errors.js';
import pino from 'pino';
import { PasswordHasher } from '../../src/server/auth.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { ChatService } from '../../src/server/service.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { GrpcTransport } from '../../src/server/transports/grpc.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { exited, inbox, PASSWORD, removeDir, spawnServer, tempDir, TEST_COST } from './helpers.js';
import type { Session } from '../../src/server/session.js';
import { waitFor } from '../wait.js';

type Both = RunningServer & { grpcPort: number };

/** Both transports on one service and store, as `termchat-server --grpc-port` runs them. */
async function startBoth(dataDir: string): Promise<Both> {
  const s = await startServer({ port: 0, grpcPort: 0, dataDir, scryptCost: TEST_COST });
  if (s.grpcPort === undefined) throw new Error('startServer did not start gRPC');
  return s as Both;
}

let srv: Both;
let dir: string;
const open: { close(): unknown }[] = [];

test.before(async () => {
  dir = tempDir();
  srv = await startBoth(dir);
});
test.after.always(async () => {
  for (const c of open) await c.close();
  await srv?.close();
  removeDir(dir);
});

async function grpc(port = srv.grpcPort): Promise<GrpcChatClient> {
  const c = await GrpcChatClient.connect({ port });
  open.push(c);
  return c;
}

/** A registered, logged-in gRPC client with its push stream attached. */
async function grpcUser(name: string): Promise<GrpcChatClient> {
  const c = await grpc();
  await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  await c.subscribe();
  return c;
}

async function tcpUser(name: string, register = true): Promise<ChatClient> {
  const c = await ChatClient.connect({ port: srv.port });
  open.push(c);
  if (register) await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  return c;
}

/** Rejects with ServerError carrying `code` and gRPC status `grpcCode`. */
async function failsWith(t: import('ava').ExecutionContext, p: Promise<unknown>, code: string, grpcCode: status): Promise<void> {
  const err = (await t.throwsAsync(p, { instanceOf: ServerError })) as ServerError & { grpcCode?: number };
  t.is(err.code, code);
  t.is(err.grpcCode, grpcCode);
}

/** Resolves with the next pushed message of a gRPC client. */
function nextMessage(c: GrpcChatClient) {
  return once(c, 'message').then(([m]) => m as { id: number; sender: string; content: string; flags: number; sentAt: number });
}

test('Ping answers without a session', async (t) => {
  const c = await grpc();
  await t.notThrowsAsync(c.ping());
});

test('Register then Login answers a token and the waiting count', async (t) => {
  const c = await grpc();
  await c.register('g-reg', PASSWORD);
  t.deepEqual(await c.login('g-reg', PASSWORD), { undelivered: 0 });
  t.regex(c.token ?? '', /^[A-Za-z0-9_-]{20,}$/);
});

test('Register errors: taken name, bad username, bad password', async (t) => {
  const c = await grpc();
  await c.register('g-taken', PASSWORD);
  await failsWith(t, c.register('g-taken', PASSWORD), 'USERNAME_TAKEN', status.ALREADY_EXISTS);
  await failsWith(t, c.register('no spaces', PASSWORD), 'INVALID_USERNAME', status.INVALID_ARGUMENT);
  await failsWith(t, c.register('g-nopw', ''), 'INVALID_PASSWORD', status.INVALID_ARGUMENT);
});

test('fields that would not fit a binary frame are refused as BAD_FIELD', async (t) => {
  const a = await grpcUser('g-field-a');
  await grpcUser('g-field-b');
  await failsWith(t, a.send('g-field-b', 'x'.repeat(513)), 'BAD_FIELD', status.INVALID_ARGUMENT);
  await failsWith(t, a.send('g-field-b', 'caf\u00e9'), 'BAD_FIELD', status.INVALID_ARGUMENT);
  await failsWith(t, a.register('a-name-longer-than-16', PASSWORD), 'BAD_FIELD', status.INVALID_ARGUMENT);
  await failsWith(t, a.listAccounts('*', 0, 70_000), 'BAD_FIELD', status.INVALID_ARGUMENT);
  // 512 ASCII characters is the limit, not over it.
  await t.notThrowsAsync(a.send('g-field-b', 'y'.repeat(512)));
});

test('Login with a wrong password or unknown user is BAD_CREDENTIALS', async (t) => {
  const c = await grpc();
  await c.register('g-cred', PASSWORD);
  await failsWith(t, c.login('g-cred', 'wrong'), 'BAD_CREDENTIALS', status.PERMISSION_DENIED);
  await failsWith(t, c.login('g-nobody', PASSWORD), 'BAD_CREDENTIALS', status.PERMISSION_DENIED);
  t.is(c.token, undefined);
});

test('calls without a token, or with an unknown one, are NOT_LOGGED_IN', async (t) => {
  const c = await grpc();
  await failsWith(t, c.send('x', 'hi'), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.listAccounts(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.fetch(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.ack(1), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.logout(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.deleteAccount(PASSWORD), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, c.subscribe(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  c.token = 'made-up-token';
  await failsWith(t, c.fetch(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
});

test('ListAccounts pages sorted names with the total; a bad pattern is INVALID_PATTERN', async (t) => {
  const c = await grpcUser('g-list-0');
  for (const n of ['g-list-2', 'g-list-1']) await (await grpc()).register(n, PASSWORD);
  t.deepEqual(await c.listAccounts('g-list-*'), { total: 3, names: ['g-list-0', 'g-list-1', 'g-list-2'] });
  t.deepEqual(await c.listAccounts('g-list-?', 1, 1), { total: 3, names: ['g-list-1'] });
  await failsWith(t, c.listAccounts('g[list]'), 'INVALID_PATTERN', status.INVALID_ARGUMENT);
});

test('an error carries the symbolic code and its number in the trailing metadata', async (t) => {
  const a = await grpcUser('g-meta');
  const md = new Metadata();
  md.set('termchat-session', a.token!);
  const send = (a.client as unknown as Record<string, (r: object, m: Metadata, cb: (e: ServiceError | null) => void) => void>).Send!;
  const err = await new Promise<ServiceError | null>((resolve) => send.call(a.client, { recipient: 'g-nobody', clientId: 1, content: 'hi' }, md, resolve));
  t.is(err?.code, status.NOT_FOUND);
  t.is(err?.details, 'no user named g-nobody');
  t.deepEqual(err?.metadata.get('termchat-error-code'), ['NO_SUCH_USER']);
  t.deepEqual(err?.metadata.get('termchat-error-number'), ['16']);
});

test('Send: unknown recipient is NO_SUCH_USER, empty is INVALID_ARGUMENT', async (t) => {
  const a = await grpcUser('g-send-a');
  await failsWith(t, a.send('g-nobody', 'hello'), 'NO_SUCH_USER', status.NOT_FOUND);
  await failsWith(t, a.send('g-send-a', ''), 'INVALID_ARGUMENT', status.INVALID_ARGUMENT);
});

test('a message is pushed live over Subscribe and stays queued until Ack', async (t) => {
  const a = await grpcUser('g-live-a');
  const b = await grpcUser('g-live-b');
  const got = nextMessage(b);
  const id = await a.send('g-live-b', 'hello over grpc');
  t.like(await got, { id, sender: 'g-live-a', flags: 0, content: 'hello over grpc' });
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), [id]);
  await b.ack(id);
  t.deepEqual(await b.fetch(10), { remaining: 0, messages: [] });
});

test('a resend with the same clientId is stored once', async (t) => {
  const a = await grpcUser('g-dup-a');
  await grpcUser('g-dup-b');
  const id = await a.send('g-dup-b', 'once', 77);
  t.is(await a.send('g-dup-b', 'once', 77), id);
});

test('offline messages: Login counts them, FetchUndelivered pages them, Ack removes them', async (t) => {
  const a = await grpcUser('g-off-a');
  await (await grpc()).register('g-off-b', PASSWORD);
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await a.send('g-off-b', `m${i}`));
  const b = await grpc();
  t.deepEqual(await b.login('g-off-b', PASSWORD), { undelivered: 5 });
  const page = await b.fetch(3);
  t.is(page.remaining, 2);
  t.deepEqual(page.messages.map((m) => m.content), ['m0', 'm1', 'm2']);
  t.like(page.messages[0], { id: ids[0], sender: 'g-off-a', flags: 0 });
  await b.ack(ids[2]!);
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), ids.slice(3));
});

test('pushes between Login and Subscribe are held and sent when the stream attaches', async (t) => {
  const a = await grpcUser('g-held-a');
  const b = await grpc();
  await b.register('g-held-b', PASSWORD);
  await b.login('g-held-b', PASSWORD);
  const id = await a.send('g-held-b', 'early');
  const got = nextMessage(b);
  await b.subscribe();
  t.like(await got, { id, content: 'early' });
});

test('a sender offline when its message was delivered gets the receipt after logging in again, on Subscribe', async (t) => {
  const a = await grpcUser('g-rc-a');
  const b = await grpcUser('g-rc-b');
  await b.logout();
  const id = await a.send('g-rc-b', 'while you were away');
  await a.logout();
  const b2 = await grpc();
  await b2.login('g-rc-b', PASSWORD);
  await b2.ack((await b2.fetch(10)).messages.at(-1)!.id);
  const a2 = await grpc();
  await a2.login('g-rc-a', PASSWORD);
  const delivered = new Promise<number[]>((resolve) => a2.once('delivered', resolve));
  await a2.subscribe();
  t.deepEqual(await delivered, [id]);
});

test('held messages the session fetched and acknowledged before Subscribe are not pushed on it', async (t) => {
  const a = await grpcUser('g-ack-a');
  const b = await grpc();
  await b.register('g-ack-b', PASSWORD);
  await b.login('g-ack-b', PASSWORD);
  const first = await a.send('g-ack-b', 'held then acked');
  // Pushed while b has no stream: held. b fetches and acknowledges it meanwhile.
  await b.ack((await b.fetch(10)).messages.at(-1)!.id);
  const got: number[] = [];
  b.on('message', (m: { id: number }) => got.push(m.id));
  await b.subscribe();
  const next = nextMessage(b);
  const second = await a.send('g-ack-b', 'after subscribe');
  t.is((await next).id, second);
  t.false(got.includes(first));
});

/** A service of its own (SQLite in a temporary directory) behind a gRPC transport, closed after the test. */
async function ownGrpc(t: ExecutionContext, hasher: PasswordHasher, opts: { maxHeldPushes?: number } = {}): Promise<number> {
  const d = tempDir();
  const log = pino({ level: 'silent' });
  const store = new SqliteStore({ dataDir: d });
  const service = new ChatService(store, hasher, log);
  await service.start();
  const g = await GrpcTransport.listen(service, log, { host: '127.0.0.1', port: 0, ...opts });
  t.teardown(async () => {
    await service.shutdown(1000);
    await g.closeAll();
    await store.close();
    removeDir(d);
  });
  return g.port;
}

test('a push dropped from a full held buffer stays queued after a later cumulative Ack', async (t) => {
  const port = await ownGrpc(t, new PasswordHasher({ cost: TEST_COST }), { maxHeldPushes: 1 });
  const a = await GrpcChatClient.connect({ port });
  const b = await GrpcChatClient.connect({ port });
  await a.register('held-a', PASSWORD);
  await a.register('held-b', PASSWORD);
  await a.login('held-a', PASSWORD);
  await b.login('held-b', PASSWORD);
  const first = await a.send('held-b', 'dropped from the buffer');
  const second = await a.send('held-b', 'kept in the buffer');
  const got = nextMessage(b);
  await b.subscribe();
  t.like(await got, { id: second });
  await b.ack(second);
  // The first was never seen, so the cumulative Ack must not have removed it.
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), [first]);
  a.close();
  b.close();
});

test('DeleteAccount: wrong password, confirmation when messages wait, then the token stops working', async (t) => {
  const a = await grpcUser('g-del-a');
  const b = await grpcUser('g-del-b');
  await a.send('g-del-b', 'waiting');
  await failsWith(t, b.deleteAccount('wrong'), 'BAD_CREDENTIALS', status.PERMISSION_DENIED);
  t.deepEqual(await b.deleteAccount(PASSWORD), { deleted: false, waiting: 1 });
  t.deepEqual(await b.deleteAccount(PASSWORD, true), { deleted: true });
  await failsWith(t, b.fetch(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  await failsWith(t, a.send('g-del-b', 'gone'), 'NO_SUCH_USER', status.NOT_FOUND);
});

test('Logout ends the session: the stream ends and the token stops working', async (t) => {
  const a = await grpcUser('g-out');
  const ended = once(a, 'streamEnd');
  await a.logout();
  t.deepEqual(await ended, [undefined, 'logout']);
  await failsWith(t, a.listAccounts(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
});

test('a message sent over gRPC reaches a TCP client live', async (t) => {
  const g = await grpcUser('x-g1');
  const c = await tcpUser('x-t1');
  const box = inbox(c);
  const id = await g.send('x-t1', 'grpc to tcp');
  t.like((await box.until(1))[0], { id, sender: 'x-g1', content: 'grpc to tcp' });
});

test('a message sent over TCP reaches a gRPC client live', async (t) => {
  const c = await tcpUser('x-t2');
  const g = await grpcUser('x-g2');
  const got = nextMessage(g);
  const id = await c.send('x-g2', 'tcp to grpc');
  t.like(await got, { id, sender: 'x-t2', content: 'tcp to grpc' });
});

test('a gRPC login takes over a TCP session', async (t) => {
  const c = await tcpUser('x-kick1');
  const kicked = once(c, 'loggedInElsewhere');
  const g = await grpc();
  await g.login('x-kick1', PASSWORD);
  await kicked;
  const err = (await t.throwsAsync(c.fetch(), { instanceOf: ServerError })) as ServerError;
  t.is(err.code, 'NOT_LOGGED_IN');
  t.deepEqual(await g.fetch(), { remaining: 0, messages: [] });
});

test('a TCP login takes over a gRPC session: push, stream end, token dead', async (t) => {
  const g = await grpcUser('x-kick2');
  const kicked = once(g, 'loggedInElsewhere');
  const ended = once(g, 'streamEnd');
  const c = await tcpUser('x-kick2', false);
  await kicked;
  t.deepEqual(await ended, [undefined, 'logged-in-elsewhere']);
  await failsWith(t, g.fetch(), 'NOT_LOGGED_IN', status.UNAUTHENTICATED);
  // Pushes now go to the TCP session.
  const box = inbox(c);
  const s = await grpcUser('x-kick2-s');
  await s.send('x-kick2', 'to the new session');
  t.like((await box.until(1))[0], { content: 'to the new session' });
});

test('shutdown sends ServerClosing on the push stream', async (t) => {
  const d = tempDir();
  const s = await startBoth(d);
  try {
    const g = await GrpcChatClient.connect({ port: s.grpcPort });
    await g.register('closing', PASSWORD);
    await g.login('closing', PASSWORD);
    await g.subscribe();
    const closing = once(g, 'serverClosing');
    const ended = once(g, 'streamEnd');
    await s.close();
    await closing;
    t.deepEqual(await ended, [undefined, 'server-closing']);
    g.close();
  } finally {
    removeDir(d);
  }
});

test('termchat-server --grpc-port serves TCP and gRPC on one store, live both ways', async (t) => {
  const d = tempDir();
  const srv2 = await spawnServer(d, ['--grpc-port', '0']);
  try {
    const c = await ChatClient.connect({ port: srv2.port });
    await c.register('cli-t', PASSWORD);
    await c.login('cli-t', PASSWORD);
    const g = await GrpcChatClient.connect({ port: srv2.grpcPort! });
    await g.register('cli-g', PASSWORD);
    await g.login('cli-g', PASSWORD);
    await g.subscribe();
    const got = nextMessage(g);
    await c.send('cli-g', 'via the CLI, tcp to grpc');
    t.like(await got, { sender: 'cli-t', content: 'via the CLI, tcp to grpc' });
    const box = inbox(c);
    await g.send('cli-t', 'via the CLI, grpc to tcp');
    t.like((await box.until(1))[0], { sender: 'cli-g', content: 'via the CLI, grpc to tcp' });
    g.close();
    await c.close();
  } finally {
    srv2.child.kill('SIGTERM');
    t.is(await exited(srv2.child), 0);
    removeDir(d);
  }
});

test('DeleteAccount ends the stream with the account-deleted trailer', async (t) => {
  const a = await grpcUser('g-end-del');
  const ended = once(a, 'streamEnd');
  t.deepEqual(await a.deleteAccount(PASSWORD, true), { deleted: true });
  t.deepEqual(await ended, [undefined, 'account-deleted']);
});

test('a second Subscribe replaces the first, which ends with the replaced trailer; pushes go to the new one', async (t) => {
  const a = await grpcUser('g-end-rep');
  const ended = once(a, 'streamEnd');
  await a.subscribe();
  t.deepEqual(await ended, [undefined, 'replaced']);
  const got = nextMessage(a);
  const b = await grpcUser('g-end-rep-b');
  const id = await b.send('g-end-rep', 'to the new stream');
  t.like(await got, { id, content: 'to the new stream' });
});

test('the bearer scheme name is case-insensitive', async (t) => {
  const a = await grpcUser('g-bearer');
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const md = new Metadata();
    md.set('authorization', `${scheme} ${a.token!}`);
    type Call = (r: object, md: Metadata, cb: (err: ServiceError | null) => void) => void;
    const fetch = (a.client as unknown as Record<string, Call>).FetchUndelivered!; // needs the token
    const err = await new Promise<ServiceError | null>((resolve) => fetch.call(a.client, { max: 1 }, md, resolve));
    t.is(err, null, scheme);
  }
});

test('Send flags over gRPC: other than UTF7 is INVALID_ARGUMENT, over 8 bits is BAD_FIELD; UTF7 reaches the recipient', async (t) => {
  const a = await grpcUser('g-flags-a');
  const b = await grpcUser('g-flags-b');
  await failsWith(t, a.send('g-flags-b', 'x', undefined, 1), 'INVALID_ARGUMENT', status.INVALID_ARGUMENT);
  await failsWith(t, a.send('g-flags-b', 'x', undefined, 0x102), 'BAD_FIELD', status.INVALID_ARGUMENT);
  const got = nextMessage(b);
  await a.send('g-flags-b', '+AOk-', undefined, 2);
  t.is((await got).flags, 2);
});

test('clientId 0 over gRPC is never de-duplicated: two sends, two messages', async (t) => {
  const a = await grpcUser('g-zero-a');
  await grpcUser('g-zero-b');
  const x = await a.send('g-zero-b', 'same', 0);
  const y = await a.send('g-zero-b', 'same', 0);
  t.not(x, y);
});

test('Watch over gRPC answers who of the names is online (Presence)', async (t) => {
  await tcpUser('g-watched');
  const c = await grpcUser('g-watcher');
  t.deepEqual(await c.call('Watch', { names: ['g-watched', 'g-nobody'] }), { online: ['g-watched'] });
});

test('a gRPC Login its caller cancelled while the password was checked does not take over the session opened since', async (t) => {
  // The password check of the stale Login is held until the test has cancelled its call.
  let hold: Promise<void> | undefined;
  let holding: Session | undefined;
  let checked = false;
  class HeldHasher extends PasswordHasher {
    override async verify(password: string, stored: string | undefined, key: unknown = {}): Promise<boolean> {
      if (hold) {
        holding = key as Session;
        await hold;
      }
      const ok = await super.verify(password, stored, key);
      if (holding === key) checked = true;
      return ok;
    }
  }
  const port = await ownGrpc(t, new HeldHasher({ cost: TEST_COST }));
  const live = await GrpcChatClient.connect({ port });
  await live.register('g-stale', PASSWORD);
  await live.login('g-stale', PASSWORD);
  await live.subscribe();
  let takenOver = false;
  live.on('loggedInElsewhere', () => (takenOver = true));

  let release!: () => void;
  hold = new Promise((r) => (release = r));
  const stale = await GrpcChatClient.connect({ port });
  const answered = new Promise<ServiceError | null>((resolve) => {
    const stub = stale.client as unknown as { Login(r: object, m: Metadata, cb: (e: ServiceError | null) => void): { cancel(): void } };
    const call = stub.Login({ username: 'g-stale', password: PASSWORD }, new Metadata(), (err) => resolve(err));
    void waitFor(() => holding, 'the server checking the stale Login').then(() => call.cancel());
  });
  t.is((await answered)?.code, status.CANCELLED);
  await waitFor(() => holding!.closed, "the cancelled Login's session closed by the server");
  hold = undefined;
  release();
  await waitFor(() => checked, 'the stale password check done');
  // The live session is still the account's: a call after the stale Login went through answers.
  t.deepEqual(await live.call('Watch', { names: ['g-stale'] }), { online: ['g-stale'] });
  t.false(takenOver);
  live.close();
  stale.close();
});
