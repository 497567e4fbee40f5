import test from 'ava';
import net from 'node:net';
import { encode } from '../../src/protocol/codec.js';
import { drain, PASSWORD, startTestServer } from './helpers.js';

test('a recipient that stops reading is dropped once its send queue is full, and keeps its messages', async (t) => {
  // The mailbox cap is lifted: the kernel's loopback buffers can hold more than the default 4 MiB
  // before the server's own queue fills, and MAILBOX_FULL is not what this test is about.
  const srv = await startTestServer({ maxSendQueue: 64 * 1024, maxQueue: 1 << 20, maxQueueBytes: 1 << 30 });
  t.teardown(() => srv.stop());
  const sender = await srv.user('fast');
  const setup = await srv.connect();
  await setup.register('slow', PASSWORD);

  // A raw connection that logs in, then never reads again.
  const slow = net.connect({ port: srv.port, host: '127.0.0.1' });
  let dropped = false;
  // A paused socket does not see the server's FIN, but writing to it after the server let go fails.
  slow.on('error', () => (dropped = true));
  await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
  slow.write(encode({ type: 'Login', username: 'slow', password: PASSWORD }, 1));
  await new Promise<void>((resolve) => slow.once('data', () => resolve()));
  slow.pause();
  const gone = new Promise<void>((resolve) => slow.once('close', () => resolve()));
  void gone.then(() => (dropped = true));

  const content = 'y'.repeat(500);
  let accepted = 0;
  // Keep sending in pipelined windows until the server gives up on the slow reader.
  for (let round = 0; !dropped && round < 400; round++) {
    const ids = await Promise.all(Array.from({ length: 250 }, () => sender.send('slow', content)));
    accepted += ids.length;
    if (!slow.destroyed) slow.write(encode({ type: 'Ping' }, 2 + round));
  }
  t.true(dropped, 'the slow connection was dropped');
  slow.resume();
  await gone;
  await sender.ping(); // everyone else is fine

  const again = await srv.connect();
  t.deepEqual(await again.login('slow', PASSWORD), { undelivered: accepted });
  t.is((await drain(again, 200)).length, accepted);
});
