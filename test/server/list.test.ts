import test from 'ava';
import type { ChatClient } from '../../src/protocol/client.js';
import { ServerError } from '../../src/protocol/errors.js';
import { PASSWORD, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
let c: ChatClient;
const NAMES = ['zed', 'amy', 'Amy', 'anna', 'ann', 'bob', 'bobby', 'a.b', 'a-b', 'a_b', 'x1', 'x22', 'x333'];

test.before(async () => {
  srv = await startTestServer();
  c = await srv.connect();
  for (const n of NAMES) await c.register(n, PASSWORD);
  await c.login('zed', PASSWORD);
});
test.after.always(async () => {
  await srv?.stop();
});

const sorted = (xs: string[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

test.serial('* lists every account, sorted by name, with the total', async (t) => {
  const r = await c.listAccounts('*', 0, 0);
  t.is(r.total, NAMES.length);
  t.deepEqual(r.names, sorted(NAMES));
});

test.serial('an empty pattern means *', async (t) => {
  t.is((await c.listAccounts('', 0, 0)).total, NAMES.length);
});

test.serial('* matches any run and ? exactly one character', async (t) => {
  t.deepEqual(await c.listAccounts('a*', 0, 50), { total: 6, names: ['a-b', 'a.b', 'a_b', 'amy', 'ann', 'anna'] });
  t.deepEqual(await c.listAccounts('ann?', 0, 50), { total: 1, names: ['anna'] });
  t.deepEqual(await c.listAccounts('x??', 0, 50), { total: 1, names: ['x22'] });
  t.deepEqual(await c.listAccounts('*b*', 0, 50), { total: 5, names: ['a-b', 'a.b', 'a_b', 'bob', 'bobby'] });
  t.deepEqual(await c.listAccounts('bob', 0, 50), { total: 1, names: ['bob'] });
  t.deepEqual(await c.listAccounts('nobody*', 0, 50), { total: 0, names: [] });
});

test.serial('. and - are literal characters, and matching is case-sensitive', async (t) => {
  t.deepEqual((await c.listAccounts('a.b', 0, 50)).names, ['a.b']);
  t.deepEqual((await c.listAccounts('A*', 0, 50)).names, ['Amy']);
});

test.serial('pages by offset and limit keep the total and cover the list once', async (t) => {
  const all: string[] = [];
  for (let offset = 0; ; offset += 4) {
    const r = await c.listAccounts('*', offset, 4);
    t.is(r.total, NAMES.length);
    t.true(r.names.length <= 4);
    if (r.names.length === 0) break;
    all.push(...r.names);
  }
  t.deepEqual(all, sorted(NAMES));
  t.deepEqual(await c.listAccounts('*', 1000, 10), { total: NAMES.length, names: [] });
});

test.serial('characters outside the pattern alphabet give INVALID_PATTERN', async (t) => {
  for (const bad of ['[ab]', 'a b', 'a\\*', '%', 'a;drop']) {
    const err = await t.throwsAsync(c.listAccounts(bad), { instanceOf: ServerError }, bad);
    t.is((err as ServerError).code, 'INVALID_PATTERN', bad);
  }
  await c.ping(); // still serving
});

test.serial('deleted accounts are not listed', async (t) => {
  const d = await srv.user('gone-soon');
  t.deepEqual((await c.listAccounts('gone*')).names, ['gone-soon']);
  t.deepEqual(await d.deleteAccount(PASSWORD, false), { deleted: true });
  t.deepEqual(await c.listAccounts('gone*'), { total: 0, names: [] });
});
