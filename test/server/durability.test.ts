import test from 'ava';
import { ChatClient } from '../../src/protocol/client.js';
import { drain, exited, PASSWORD, removeDir, spawnServer, tempDir } from './helpers.js';

test('every accepted message survives SIGKILL and a restart, and none comes twice after ack', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const first = await spawnServer(dir);
  t.teardown(() => first.child.kill('SIGKILL'));

  const a = await ChatClient.connect({ port: first.port });
  await a.register('alice', PASSWORD);
  await a.register('bob', PASSWORD);
  await a.login('alice', PASSWORD);
  // Pipelined: some are accepted, then the server dies with others possibly in flight.
  const accepted: number[] = [];
  const sends = Array.from({ length: 400 }, (_, i) =>
    a.send('bob', `msg ${i}`).then(
      (id) => void accepted.push(id),
      () => undefined,
    ),
  );
  await sends[199]; // at least the first 200 were answered
  first.child.kill('SIGKILL');
  await Promise.all(sends);
  t.is(await exited(first.child), 'SIGKILL');
  t.true(accepted.length >= 200);

  const second = await spawnServer(dir);
  t.teardown(() => second.child.kill('SIGKILL'));
  const b = await ChatClient.connect({ port: second.port });
  const { undelivered } = await b.login('bob', PASSWORD);
  t.true(undelivered >= accepted.length);
  // Read half, ack it, reconnect, read the rest: nothing lost, nothing twice.
  const half = await b.fetch(100);
  await b.ack(half.messages.at(-1)!.id);
  await b.close();
  const b2 = await ChatClient.connect({ port: second.port });
  await b2.login('bob', PASSWORD);
  const rest = await drain(b2);
  const ids = [...half.messages, ...rest].map((m) => m.id);
  t.is(new Set(ids).size, ids.length, 'no message twice');
  const got = new Set(ids);
  for (const id of accepted) t.true(got.has(id), `accepted message ${id} was delivered`);
  const contents = [...half.messages, ...rest].map((m) => m.content);
  t.deepEqual(contents, contents.map((_, i) => `msg ${i}`), 'stored in order, no gaps');
  await b2.close();
  second.child.kill('SIGTERM');
  t.is(await exited(second.child), 0);
});

test('SIGTERM sends ServerClosing to every client and exits 0, keeping queued messages', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const s = await spawnServer(dir);
  t.teardown(() => s.child.kill('SIGKILL'));
  const a = await ChatClient.connect({ port: s.port });
  await a.register('carol', PASSWORD);
  await a.register('dave', PASSWORD);
  await a.login('carol', PASSWORD);
  const idle = await ChatClient.connect({ port: s.port }); // not logged in: told too
  const id = await a.send('dave', 'see you after the restart');

  const told = Promise.all(
    [a, idle].map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('serverClosing', resolve);
        }),
    ),
  );
  const closed = Promise.all([a, idle].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  s.child.kill('SIGTERM');
  await told;
  await closed;
  t.is(await exited(s.child), 0);

  const again = await spawnServer(dir);
  t.teardown(() => again.child.kill('SIGKILL'));
  const d = await ChatClient.connect({ port: again.port });
  t.deepEqual(await d.login('dave', PASSWORD), { undelivered: 1 });
  t.like((await d.fetch(10)).messages[0], { id, content: 'see you after the restart' });
  await d.close();
  again.child.kill('SIGTERM');
  t.is(await exited(again.child), 0);
});

test('the CLI prints its version and help, and refuses a bad flag', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { ROOT } = await import('./helpers.js');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  const v = run('--version');
  t.is(v.status, 0);
  t.regex(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const h = run('--help');
  t.is(h.status, 0);
  t.regex(h.stdout, /--port/);
  const bad = run('--port', 'seventy');
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--port/);
});
