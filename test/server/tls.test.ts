/**
 * TLS on both transports, with a self-signed certificate made at test time (no key is committed).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { ChatClient } from '../../src/protocol/client.js';
import { chatServiceDefinition } from '../../src/server/transports/grpcProto.js';
import { inbox, PASSWORD, removeDir, startTestServer, tempDir, type TestServer } from './helpers.js';

let dir: string;
let cert: Buffer;
let key: Buffer;
let srv: TestServer;

test.before(async () => {
  dir = tempDir();
  const k = path.join(dir, 'key.pem');
  const c = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', k, '-out', c,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  cert = fs.readFileSync(c);
  key = fs.readFileSync(k);
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

test('gRPC over TLS: Register and Login answer with ssl credentials; insecure ones fail', async (t) => {
  const Ctor = makeGenericClientConstructor(chatServiceDefinition(), 'Chat') as unknown as new (a: string, c: unknown, o?: object) => Client;
  type Unary = (req: object, md: Metadata, opts: object, cb: (err: ServiceError | null, res: Record<string, unknown>) => void) => void;
  const call = (c: Client, method: string, req: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      (c as unknown as Record<string, Unary>)[method]!.call(c, req, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const secure = new Ctor(`localhost:${srv.grpcPort}`, credentials.createSsl(cert), { 'grpc.use_local_subchannel_pool': 1 });
  t.teardown(() => secure.close());
  await call(secure, 'Register', { username: 'tls-g', password: PASSWORD });
  const r = await call(secure, 'Login', { username: 'tls-g', password: PASSWORD });
  t.is(typeof r.token, 'string');
  const insecure = new Ctor(`127.0.0.1:${srv.grpcPort}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.teardown(() => insecure.close());
  await t.throwsAsync(call(insecure, 'Ping', {}));
});
