/**
 * TLS on both transports, with a self-signed certificate made at test time (no key is committed).
 */
import test from 'ava';
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { ChatClient } from '../../src/protocol/client.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { chatServiceDefinition } from '../../src/protocol/grpcProto.js';
import { inbox, PASSWORD, removeDir, startTestServer, tempDir, type TestServer } from './helpers.js';
import { tlsFiles } from '../lib/cert.js';

let dir: string;
let cert: Buffer;
let key: Buffer;
let srv: TestServer;

test.before(async () => {
  dir = tempDir();
  ({ cert, key } = await tlsFiles(dir));
  srv = await startTestServer({ grpcPort: 0, tls: { cert, key } });
});

test.after.always(async () => {
  await srv?.stop();
  removeDir(dir);
});

test('TCP over TLS: register, login, send and push round trip with the CA given', async (t) => {
  const a = await ChatClient.connect({ port: srv.port, tls: { ca: cert } });
  const b = await ChatClient.connect({ port: srv.port, tls: { ca: cert, servername: 'localhost' } });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.true(a.secure && b.secure);
  await a.register('tls-a', PASSWORD);
  await a.register('tls-b', PASSWORD);
  await a.login('tls-a', PASSWORD);
  await b.login('tls-b', PASSWORD);
  const got = inbox(b);
  const id = await a.send('tls-b', 'over TLS');
  const [m] = await got.until(1);
  t.like(m, { id, sender: 'tls-a', content: 'over TLS' });
});

test('a TLS client without the CA refuses the self-signed server; a plaintext client gets nothing it can read', async (t) => {
  await t.throwsAsync(ChatClient.connect({ port: srv.port, tls: true }), { message: /self[- ]signed|unable to verify/i });
  const plain = await ChatClient.connect({ port: srv.port });
  await t.throwsAsync(plain.ping());
  await plain.close();
});

test('gRPC over TLS: the client with the CA registers, logs in and gets pushes; an insecure channel fails', async (t) => {
  const a = await GrpcChatClient.connect({ host: 'localhost', port: srv.grpcPort!, tls: { ca: cert } });
  const b = await GrpcChatClient.connect({ port: srv.grpcPort!, tls: { ca: cert, servername: 'localhost' } });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await a.register('tls-ga', PASSWORD);
  await a.register('tls-gb', PASSWORD);
  await a.login('tls-ga', PASSWORD);
  await b.login('tls-gb', PASSWORD);
  t.regex(a.token ?? '', /^[A-Za-z0-9_-]{20,}$/);
  await b.subscribe();
  const got = inbox(b);
  const id = await a.send('tls-gb', 'gRPC over TLS');
  t.like((await got.until(1))[0], { id, sender: 'tls-ga', content: 'gRPC over TLS' });
  // A plaintext HTTP/2 channel to the TLS port: the call fails (no waiting for it to become ready).
  const Ctor = makeGenericClientConstructor(chatServiceDefinition(), 'Chat') as unknown as new (a: string, c: unknown, o?: object) => Client;
  type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null) => void) => void;
  const insecure = new Ctor(`127.0.0.1:${srv.grpcPort}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.teardown(() => insecure.close());
  const err = await new Promise<ServiceError | null>((resolve) => (insecure as unknown as Record<string, Unary>).Ping!.call(insecure, {}, new Metadata(), resolve));
  t.truthy(err);
});
