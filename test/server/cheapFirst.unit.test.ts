/**
 * Cheap checks before expensive work, counted rather than timed: a Register of a taken name is
 * refused before the password is hashed, however many arrive. The service alone, on the memory
 * store: no sockets.
 */
import test from 'ava';
import pino from 'pino';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PasswordHasher } from '../../src/server/auth.js';
import { ChatService } from '../../src/server/service.js';
import { MemoryStore } from '../../src/server/store/memory.js';

/** A real hasher that counts its hashes and verifications. */
class CountingHasher extends PasswordHasher {
  calls = 0;
  override hash(password: string, key?: unknown): Promise<string> {
    this.calls++;
    return super.hash(password, key);
  }
  override verify(password: string, stored: string | undefined, key?: unknown): Promise<boolean> {
    this.calls++;
    return super.verify(password, stored, key);
  }
}

test('1,000 Registers of a taken name are each refused USERNAME_TAKEN without one hash', async (t) => {
  const hasher = new CountingHasher({ cost: 1024 });
  const service = new ChatService(new MemoryStore(), hasher, pino({ level: 'silent' }));
  await service.start();
  t.teardown(() => service.shutdown(1000));
  const s = service.openSession({ push: () => undefined });
  t.is((await service.request(s, { type: 'Register', username: 'taken', password: 'the first' })).type, 'Ok');
  t.is(hasher.calls, 1);
  const answers = await Promise.all(
    Array.from({ length: 1000 }, () => service.request(s, { type: 'Register', username: 'taken', password: 'guess' })),
  );
  t.true(answers.every((a) => a.type === 'Error' && a.code === ErrorCode.USERNAME_TAKEN));
  t.is(hasher.calls, 1, 'no hash after the first');
});
