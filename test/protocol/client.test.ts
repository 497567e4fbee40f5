import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import { ChatClient } from '../../src/protocol/client.js';
import { encode } from '../../src/protocol/codec.js';
import { ErrorCode, ProtocolError, ServerError } from '../../src/protocol/errors.js';
import { HEADER_SIZE, writeHeader } from '../../src/protocol/framing.js';
import { schema } from '../../src/protocol/schema.js';
import { startServer } from '../../src/server/server.js';
import { waitFor } from '../wait.js';

/** A server that writes the given frames to the first connection, then answers one Ping. */
async function scripted(frames: Buffer[]): Promise<{ port: number; close(): void }> {
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.once('data', (d: Buffer) => {
      // The Ping's request id, from its header, so the answer settles it after the pushes.
      for (const f of frames) sock.write(f);
      sock.write(encode({ type: 'Pong' }, d.readUInt32BE(5)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

function rawFrame(opcode: number, body: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + body.length);
  writeHeader(b, 0, opcode, 0, body.length);
  body.copy(b, HEADER_SIZE);
  return b;
}

test('ChatClient ignores pushes whose opcode it does not know and raises no event for them', async (t) => {
  const known = new Set<number>(Object.values(schema).map((d) => d.op));
  const unknown = [0x85, 0xbf].filter((op) => !known.has(op));
  t.true(unknown.length > 0);
  const srv = await scripted([
    ...unknown.map((op) => rawFrame(op, Buffer.from([1, 2, 3]))),
    encode({ type: 'Delivered', ids: [5, 6] }, 0),
    encode({ type: 'PresenceChanged', name: 'carol', online: 1 }, 0),
  ]);
  t.teardown(() => srv.close());
  const c = await ChatClient.connect({ port: srv.port });
  const seen: string[] = [];
  c.on('serverClosing', () => seen.push('serverClosing'));
  c.on('loggedInElsewhere', () => seen.push('loggedInElsewhere'));
  c.on('delivered', (ids) => seen.push(`delivered ${ids.join(',')}`));
  c.on('presence', (name, online) => seen.push(`presence ${name} ${online}`));
  await c.ping();
  t.deepEqual(seen, ['delivered 5,6', 'presence carol true']);
  t.true(c.isOpen, 'the connection stays up');
  await c.close();
});

/** A server that accepts connections and never says a word. */
async function silent(): Promise<{ port: number; close(): void }> {
  const socks: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    socks.push(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of socks) s.destroy();
      server.close();
    },
  };
}

test('a connect that gets no answer (a TLS handshake nobody finishes) gives up after connectTimeoutMs with a sentence naming the server', async (t) => {
  const s = await silent();
  t.teardown(() => s.close());
  const err = await t.throwsAsync(ChatClient.connect({ port: s.port, tls: true, connectTimeoutMs: 300 }));
  t.regex(err!.message, new RegExp(`^no answer from 127\\.0\\.0\\.1:${s.port} within [\\d.]+ s$`));
});

test('heartbeat: a server that goes silent is noticed; the connection closes with an error saying so and pending requests fail', async (t) => {
  const s = await silent();
  t.teardown(() => s.close());
  const c = await ChatClient.connect({ port: s.port, heartbeat: { idleMs: 100, answerMs: 300 } });
  const closed = new Promise<Error | undefined>((resolve) => c.once('close', resolve));
  const pending = c.listAccounts().then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  const err = await closed;
  t.regex(err?.message ?? '', /the server did not answer for [\d.]+ s/);
  t.false(c.isOpen);
  t.is((await pending)?.code, 'CONNECTION_CLOSED');
});

test('heartbeat: a server that answers keeps the connection, however long nothing else happens', async (t) => {
  const server = await startServer({ port: 0, store: 'memory' });
  t.teardown(() => server.close());
  const c = await ChatClient.connect({ port: server.port, heartbeat: { idleMs: 50, answerMs: 10_000 } });
  t.teardown(() => c.close());
  let closed = false;
  c.on('close', () => (closed = true));
  // Three Pongs answered to the heartbeat's Pings, and nothing else sent or received.
  const start = c.bytesIn;
  const pong = encode({ type: 'Pong' }, 1).length;
  await waitFor(() => c.bytesIn - start >= 3 * pong || closed, 'three Pongs');
  t.false(closed);
  t.true(c.isOpen);
});

/** A server that answers every request with `answer` (same request id). */
async function answering(answer: Parameters<typeof encode>[0]): Promise<{ port: number; close(): void }> {
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => sock.write(encode(answer, d.readUInt32BE(5))));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

test('under tests, ChatClient refuses an error code the request does not declare in the schema', async (t) => {
  const srv = await answering({ type: 'Error', code: ErrorCode.MAILBOX_FULL, text: 'full' });
  t.teardown(() => srv.close());
  // NODE_ENV=test (ava sets it): the check is on without asking.
  const strict = await ChatClient.connect({ port: srv.port });
  t.teardown(() => strict.close());
  const e = await t.throwsAsync(strict.ping());
  t.is((e as ProtocolError).code, 'UNEXPECTED_MESSAGE');
  t.regex(e!.message, /Ping was answered Error MAILBOX_FULL/);
  // A declared one goes through as usual.
  const declared = await t.throwsAsync(strict.send('bob', 'hi'));
  t.is((declared as ServerError).code, 'MAILBOX_FULL');
  // Off, the Error is an Error answer like any other.
  const lax = await ChatClient.connect({ port: srv.port, checkAnswers: false });
  t.teardown(() => lax.close());
  t.is((await lax.request({ type: 'Ping' })).type, 'Error');
});
