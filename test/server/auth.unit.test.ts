import test from 'ava';
import { FairSemaphore, PasswordHasher } from '../../src/server/auth.js';
import { normalizePattern, wildcardToRegExp } from '../../src/server/rules.js';

const hasher = new PasswordHasher({ cost: 1024 });

test('a hash stores its scrypt parameters and a random salt, and verifies only the right password', async (t) => {
  const h1 = await hasher.hash('secret');
  const h2 = await hasher.hash('secret');
  t.regex(h1, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.not(h1, h2, 'salted');
  t.true(await hasher.verify('secret', h1));
  t.true(await hasher.verify('secret', h2));
  t.false(await hasher.verify('Secret', h1));
  t.false(await hasher.verify('', h1));
});

test('a hash made at another cost still verifies (the cost travels with it)', async (t) => {
  const old = await new PasswordHasher({ cost: 2048 }).hash('pw');
  t.true(await hasher.verify('pw', old));
});

test('an unknown user (no stored hash) never verifies, even with the dummy password', async (t) => {
  t.false(await hasher.verify('dummy password, never matches', undefined));
  t.false(await hasher.verify('anything', undefined));
  t.false(await hasher.verify('anything', 'garbage'));
});

test('many hashes at once all complete (bounded concurrency)', async (t) => {
  const hs = await Promise.all(Array.from({ length: 20 }, (_, i) => hasher.hash(`p${i}`)));
  t.is(new Set(hs).size, 20);
});

test('the hashing pool serves waiting connections in turn: one that queued many does not hold back another', async (t) => {
  const sem = new FairSemaphore(1);
  const order: string[] = [];
  const job = (name: string) => async () => {
    order.push(name);
    await Promise.resolve(); // finishes later than it starts, as a hash does
  };
  const flood = Array.from({ length: 20 }, (_, i) => sem.run('flood', job(`f${i}`)));
  const other = sem.run('other', job('other'));
  await Promise.all([...flood, other]);
  // f0 was running when `other` came; then one round: f1 (queued before it), then other.
  t.deepEqual(order.slice(0, 3), ['f0', 'f1', 'other']);
  t.is(order.length, 21);
});

test('a cost that is not a power of two is refused', (t) => {
  t.throws(() => new PasswordHasher({ cost: 1000 }));
});

test('patterns: only the allowed alphabet, empty means *, and the JS matcher agrees with the rules', (t) => {
  t.is(normalizePattern(''), '*');
  t.is(normalizePattern('a*b?'), 'a*b?');
  for (const bad of ['[a]', 'a b', '\\', '%', 'é']) t.is(normalizePattern(bad), undefined, bad);
  const re = wildcardToRegExp('a.*-?');
  t.true(re.test('a.-x'));
  t.true(re.test('a.zzz-x'));
  t.false(re.test('abzz-x'), '. is literal');
  t.false(re.test('a.-'), '? needs one character');
});
