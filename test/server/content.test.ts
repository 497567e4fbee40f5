/** A Send whose content holds a terminal escape is refused at the protocol level and stores nothing. */
import test from 'ava';
import { encode, fieldSpan } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';
import { drain, PASSWORD, raw, startTestServer } from './helpers.js';

test('an OSC sequence in content is BAD_FIELD; nothing is stored or pushed and the connection goes on', async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  const bob = await srv.user('esc-bob');
  const pushed: string[] = [];
  bob.on('message', (m) => pushed.push(m.content));
  const setup = await srv.connect();
  await setup.register('esc-eve', PASSWORD);
  const r = await raw(srv.port);
  t.teardown(() => r.socket.destroy());
  const frame = Buffer.from(encode({ type: 'Send', recipient: 'esc-bob', clientId: 9, flags: 0, content: 'x'.repeat(12) }, 2));
  const at = HEADER_SIZE + fieldSpan('Send', 'content').at;
  Buffer.from('\x1b]0;pwned\x07', 'latin1').copy(frame, at);
  r.socket.write(Buffer.concat([encode({ type: 'Login', username: 'esc-eve', password: PASSWORD }, 1), frame, encode({ type: 'Ping' }, 3)]));
  const [login, refused, pong] = await r.next(3);
  t.is(login?.type, 'LoginOk');
  t.like(refused, { type: 'Error', code: ErrorCode.BAD_FIELD });
  t.regex(refused?.type === 'Error' ? refused.text : '', /content: control byte 0x1b/);
  t.is(pong?.type, 'Pong');
  await bob.ping();
  t.deepEqual(pushed, []);
  t.deepEqual(await drain(bob), []);
});
