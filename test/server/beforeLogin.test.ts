/**
 * The schema's `beforeLogin` attribute, held by both transports: every other request without a
 * session is answered NOT_LOGGED_IN, over TCP and over gRPC (whose calls without a token are
 * decided by the same attribute).
 */
import test from 'ava';
import { credentials, makeGenericClientConstructor, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { BEFORE_LOGIN, REQUEST_NAMES } from '../../src/protocol/answers.js';
import { ChatClient } from '../../src/protocol/client.js';
import type { Request, RequestName } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { toRequest } from '../../src/server/transports/grpcMapping.js';
import { chatServiceDefinition, META } from '../../src/protocol/grpcProto.js';
import { TEST_COST } from './helpers.js';

let srv: RunningServer & { grpcPort: number };

test.before(async () => {
  const s = await startServer({ port: 0, grpcPort: 0, store: 'memory', scryptCost: TEST_COST });
  srv = s as typeof srv;
});
test.after.always(() => srv?.close());

/** A request of each kind with empty fields (proto3's defaults), as a client that is not logged in would send it. */
const blank = (name: RequestName): Request => toRequest(name, {});

// Logout is left to its own test below: the service answers it Ok without a session until the
// change that makes it NOT_LOGGED_IN on both transports lands.
const needsLogin = REQUEST_NAMES.filter((n) => !BEFORE_LOGIN.has(n) && n !== 'Logout');

test('over TCP, every request that needs a login is answered NOT_LOGGED_IN without one', async (t) => {
  const c = await ChatClient.connect({ port: srv.port });
  t.teardown(() => c.close());
  for (const name of needsLogin) {
    const r = await c.request(blank(name));
    t.like(r, { type: 'Error', code: ErrorCode.NOT_LOGGED_IN }, name);
  }
});

test('Logout without a session is answered NOT_LOGGED_IN over TCP, as over gRPC', async (t) => {
  const c = await ChatClient.connect({ port: srv.port });
  t.teardown(() => c.close());
  t.like(await c.request({ type: 'Logout' }), { type: 'Error', code: ErrorCode.NOT_LOGGED_IN });
});

test('over TCP, the requests allowed before login are served without one', async (t) => {
  const c = await ChatClient.connect({ port: srv.port });
  t.teardown(() => c.close());
  t.is((await c.request({ type: 'Ping' })).type, 'Pong');
  t.is((await c.request({ type: 'Register', username: 'early', password: 'pw' })).type, 'Ok');
  t.is((await c.request({ type: 'Login', username: 'early', password: 'pw' })).type, 'LoginOk');
  t.deepEqual([...BEFORE_LOGIN].sort(), ['Login', 'Ping', 'Register']);
});

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: object) => void) => void;

/** Calls `name` over gRPC without a session token; resolves with the termchat error code, or 'OK'. */
async function callWithoutToken(name: RequestName, body: object = {}): Promise<{ code: string; status?: number }> {
  const Ctor = makeGenericClientConstructor(chatServiceDefinition(), 'Chat');
  const client = new Ctor(`127.0.0.1:${srv.grpcPort}`, credentials.createInsecure()) as unknown as Record<string, Unary> & { close(): void };
  try {
    return await new Promise((resolve) =>
      client[name]!.call(client, body, new Metadata(), (err) =>
        resolve(err ? { code: String(err.metadata.get(META.errorCode)[0]), status: err.code } : { code: 'OK' }),
      ),
    );
  } finally {
    client.close();
  }
}

test('over gRPC, every call that needs a login (Logout too) is UNAUTHENTICATED NOT_LOGGED_IN without a token', async (t) => {
  for (const name of REQUEST_NAMES.filter((n) => !BEFORE_LOGIN.has(n))) {
    t.deepEqual(await callWithoutToken(name), { code: 'NOT_LOGGED_IN', status: status.UNAUTHENTICATED }, name);
  }
});

test('over gRPC, the calls allowed before login are served without a token', async (t) => {
  t.deepEqual(await callWithoutToken('Ping'), { code: 'OK' });
  t.deepEqual(await callWithoutToken('Register', { username: 'grpcearly', password: 'pw' }), { code: 'OK' });
  t.deepEqual(await callWithoutToken('Login', { username: 'grpcearly', password: 'wrong' }), {
    code: 'BAD_CREDENTIALS',
    status: status.PERMISSION_DENIED,
  });
});
