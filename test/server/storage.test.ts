/**
 * Storage you can trust: a data directory that held data never starts afresh on an empty or missing
 * database, a foreign or damaged database is refused, a live server can be backed up and restored,
 * and on a full disk an Ack still commits (the reserve gives deletes their room).
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ChatClient } from '../../src/protocol/client.js';
import { startServer } from '../../src/server/server.js';
import { drain, PASSWORD, removeDir, ROOT, spawnServer, tempDir, TEST_COST, exited } from './helpers.js';

async function serverWithMessages(dir: string, texts: string[]): Promise<void> {
  const srv = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  const c = await ChatClient.connect({ port: srv.port });
  await c.register('st-to', PASSWORD);
  await c.register('st-from', PASSWORD);
  await c.login('st-from', PASSWORD);
  for (const text of texts) await c.send('st-to', text);
  await c.close();
  await srv.close();
}

async function waiting(dir: string): Promise<string[]> {
  const srv = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  const c = await ChatClient.connect({ port: srv.port });
  await c.login('st-to', PASSWORD);
  const texts = (await drain(c)).map((m) => m.content);
  await c.close();
  await srv.close();
  return texts;
}

test('a data directory that held data refuses to start on an empty or missing database, and says how to go on', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  await serverWithMessages(dir, ['kept']);
  const db = path.join(dir, 'termchat.db');
  const saved = fs.readFileSync(db);
  fs.truncateSync(db, 0);
  const empty = await t.throwsAsync(startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST }));
  t.regex(empty!.message, /held a termchat database .* termchat\.db is missing or empty: restore it from a backup/);
  fs.rmSync(db);
  await t.throwsAsync(startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST }), { message: /missing or empty/ });
  // The file put back: all is there.
  fs.writeFileSync(db, saved);
  t.deepEqual(await waiting(dir), ['kept']);
  // Moving the marker away is the way to start afresh on purpose.
  fs.rmSync(db);
  fs.renameSync(path.join(dir, 'termchat.id'), path.join(dir, 'termchat.id.old'));
  const fresh = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  await fresh.close();
  t.pass();
});

test('a database from another data directory is refused', async (t) => {
  const a = tempDir();
  const b = tempDir();
  t.teardown(() => [a, b].forEach(removeDir));
  await serverWithMessages(a, ['in a']);
  await serverWithMessages(b, ['in b']);
  fs.copyFileSync(path.join(a, 'termchat.db'), path.join(b, 'termchat.db'));
  await t.throwsAsync(startServer({ port: 0, dataDir: b, scryptCost: TEST_COST }), { message: /is not the database this directory held/ });
});

test('a damaged database is found by the integrity check at start and refused', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  await serverWithMessages(dir, Array.from({ length: 300 }, (_, i) => `message ${i} ${'x'.repeat(300)}`));
  const db = path.join(dir, 'termchat.db');
  // Garbage over a page in the middle of the file (not the header: SQLite would not even open it).
  const fd = fs.openSync(db, 'r+');
  const size = fs.fstatSync(fd).size;
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(size / 4096 / 2) * 4096);
  fs.closeSync(fd);
  await t.throwsAsync(startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST }), { message: /damaged|malformed/ });
});

test('a live server is backed up with --backup and restored by putting the copy in place', async (t) => {
  const dir = tempDir();
  const out = tempDir();
  t.teardown(() => [dir, out].forEach(removeDir));
  const srv = await spawnServer(dir);
  t.teardown(async () => {
    if (srv.child.exitCode === null) {
      srv.child.kill('SIGTERM');
      await exited(srv.child);
    }
  });
  const c = await ChatClient.connect({ port: srv.port });
  await c.register('st-to', PASSWORD);
  await c.register('st-from', PASSWORD);
  await c.login('st-from', PASSWORD);
  for (let i = 0; i < 20; i++) await c.send('st-to', `before the backup ${i}`);
  // While the server runs (its last commits are in the write-ahead log, not yet in termchat.db).
  const file = path.join(out, 'copy.db');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts'), '--data', dir, '--backup', file], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /backed up/);
  await c.send('st-to', 'after the backup');
  await c.close();
  srv.child.kill('SIGTERM');
  await exited(srv.child);
  // Restore into a new directory: only the copy, named termchat.db.
  const restored = tempDir();
  t.teardown(() => removeDir(restored));
  fs.copyFileSync(file, path.join(restored, 'termchat.db'));
  t.deepEqual(await waiting(restored), Array.from({ length: 20 }, (_, i) => `before the backup ${i}`));
  // A second backup to the same file is refused rather than overwriting it.
  const again = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts'), '--data', dir, '--backup', file], { cwd: ROOT, encoding: 'utf8' });
  t.is(again.status, 1);
  t.regex(again.stderr, /exists already/);
});

/** A small tmpfs for a real full disk (root only: mount). */
function smallDisk(t: { log(...a: unknown[]): void }, megabytes: number): string | undefined {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    removeDir(dir);
    t.log('cannot mount a tmpfs here (needs root): the full-disk test is skipped');
    return undefined;
  }
}

test('on a real full disk Sends are DISK_FULL but the recipient can still Ack, and Sends go through again once it has', async (t) => {
  const disk = smallDisk(t, 3);
  if (disk === undefined) return t.pass();
  t.teardown(() => {
    spawnSync('umount', ['-l', disk]);
    removeDir(disk);
  });
  const srv = await startServer({ port: 0, dataDir: disk, scryptCost: TEST_COST, diskReserveBytes: 256 * 1024, ackWaitMs: 0 });
  t.teardown(() => srv.close().catch(() => undefined));
  const a = await ChatClient.connect({ port: srv.port });
  const b = await ChatClient.connect({ port: srv.port });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await a.register('full-a', PASSWORD);
  await b.register('full-b', PASSWORD);
  await a.login('full-a', PASSWORD);
  const text = 'y'.repeat(500);
  let sent = 0;
  for (;;) {
    try {
      await a.send('full-b', `${sent} ${text}`);
      sent++;
    } catch (err) {
      t.is((err as { code?: string }).code, 'DISK_FULL');
      break;
    }
    if (sent > 20_000) return t.fail('the disk never filled');
  }
  t.log(`${sent} messages filled the disk`);
  await b.login('full-b', PASSWORD);
  let acked = 0;
  for (;;) {
    const page = await b.fetch(100);
    if (page.messages.length === 0) break;
    await b.ack(page.messages.at(-1)!.id);
    acked += page.messages.length;
  }
  t.is(acked, sent);
  t.true(typeof (await a.send('full-b', 'room again')) === 'number');
});
