/** One server per data directory, and the directory private to its user. */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../../src/server/server.js';
import { exited, removeDir, spawnServer, tempDir, TEST_COST, ROOT } from './helpers.js';
import { spawn } from 'node:child_process';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('a second server on the same data dir refuses to start and names the running one', async (t) => {
  const dir = tempDir();
  const first = await spawnServer(dir);
  t.teardown(() => {
    first.child.kill('SIGKILL');
    removeDir(dir);
  });
  const second = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--port', '0', '--data', dir, '--scrypt-cost', String(TEST_COST)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  second.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  t.is(await exited(second), 1);
  t.true(err.includes(`pid ${first.child.pid}`), err);
  t.regex(err, /in use by another termchat-server/);
  // The first one is unharmed.
  t.is(first.child.exitCode, null);
});

test('in one process too; the lock goes with the server, and a stale lock is taken over', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const a = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  await t.throwsAsync(startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST }), { message: new RegExp(`pid ${process.pid}`) });
  await a.close();
  t.false(fs.existsSync(path.join(dir, 'server.pid')));
  // A server that died left its pid (one that no longer runs).
  fs.writeFileSync(path.join(dir, 'server.pid'), '999999999\n');
  const b = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  t.is(fs.readFileSync(path.join(dir, 'server.pid'), 'utf8').trim(), String(process.pid));
  await b.close();
});

test('the data dir is 0700 and the database files 0600, also when the dir existed with looser modes', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  fs.chmodSync(dir, 0o755);
  const s = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  t.is(mode(dir), 0o700);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('termchat.db'));
  t.true(files.includes('termchat.db') && files.includes('termchat.db-wal'), files.join());
  for (const f of files) t.is(mode(path.join(dir, f)), 0o600, f);
  t.is(mode(path.join(dir, 'server.pid')), 0o600);
  await s.close();
  // An older server's database made 0644: tightened at the next start.
  fs.chmodSync(path.join(dir, 'termchat.db'), 0o644);
  const again = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  t.is(mode(path.join(dir, 'termchat.db')), 0o600);
  await again.close();
});
