/** The history file alone (SQLite on disk, no server): search folding, the outbox, client ids, settings. */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { History, historyFile } from '../../src/tui/history.js';
import type { StoredMessage } from '../../src/tui/state/index.js';

function tempDir(t: { teardown: (f: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-history-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const m = (id: number, text: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id, sender: 'alice', peer: 'alice', own: false, clientId: id, sentAt: id, text, ...extra });

test('defect 13: /search CAFÉ, cafe and café all find the one café; a hidden zero-width space does not hide it', (t) => {
  const h = History.open(tempDir(t), 's:1', 'bob');
  h.add([m(1, 'un café, merci'), m(2, 'un thé'), m(3, 'ca\u200bfe noir')]);
  for (const q of ['CAFÉ', 'cafe', 'café']) t.deepEqual(h.search(q).map((x) => x.id), [1, 3], q);
  h.close();
});

test('defect 13: a message to yourself, kept as sent and as received, is found once', (t) => {
  const h = History.open(tempDir(t), 's:1', 'bob');
  h.add([m(5, 'note to self', { sender: 'bob', peer: 'bob', own: true, clientId: 77 }), m(5, 'note to self', { sender: 'bob', peer: 'bob', clientId: 77, sentAt: 6 })]);
  h.add([m(6, 'another note', { clientId: 78 })]);
  const found = h.search('note');
  t.deepEqual(found.map((x) => [x.id, x.own]), [[5, true], [6, false]]);
  h.close();
});

test('the outbox keeps messages in order until accepted or dropped, across closing and opening the file', (t) => {
  const dir = tempDir(t);
  let h = History.open(dir, 's:1', 'bob');
  const row = (clientId: number, text: string) => ({ clientId, recipient: 'alice', text, content: text, flags: 0, at: clientId });
  h.addOutgoing(row(30, 'one'));
  h.addOutgoing(row(10, 'two'));
  h.addOutgoing(row(20, 'three'));
  h.close();
  h = History.open(dir, 's:1', 'bob');
  t.deepEqual(h.outbox().map((r) => r.text), ['one', 'two', 'three']);
  h.accepted(10, m(100, 'two', { sender: 'bob', own: true, clientId: 10, delivery: 'queued' }));
  h.dropOutgoing(20);
  t.deepEqual(h.outbox().map((r) => r.clientId), [30]);
  t.deepEqual(h.recent().map((x) => [x.id, x.text, x.own]), [[100, 'two', true]]);
  h.close();
});

test('client ids are never taken twice from one file, whoever opens it', (t) => {
  const dir = tempDir(t);
  const a = History.open(dir, 's:1', 'bob');
  const b = History.open(dir, 's:1', 'bob');
  const ids = [a.takeClientId(), b.takeClientId(), a.takeClientId(), b.takeClientId()];
  t.is(new Set(ids).size, 4);
  t.true(ids.every((id) => id >= 1));
  a.close();
  b.close();
});

test('settings are kept per account file and removed with null', (t) => {
  const dir = tempDir(t);
  const h = History.open(dir, 's:1', 'bob');
  h.set('draft', 'half typed');
  t.is(h.get('draft'), 'half typed');
  h.set('draft', null);
  t.is(h.get('draft'), undefined);
  h.close();
});

test('an action (/me) is kept as one; a file from before actions existed opens and reads as before', (t) => {
  const dir = tempDir(t);
  const file = historyFile(dir, 's:1', 'bob');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const old = new Database(file);
  old.exec(`CREATE TABLE messages (own INTEGER NOT NULL, id INTEGER NOT NULL, sender TEXT NOT NULL, peer TEXT NOT NULL,
      client_id INTEGER NOT NULL, sent_at REAL NOT NULL, text TEXT NOT NULL, delivery TEXT, PRIMARY KEY (own, id, sent_at))`);
  old.prepare("INSERT INTO messages VALUES (0, 1, 'alice', 'alice', 0, 1, 'old one', NULL)").run();
  old.close();
  const h = History.open(dir, 's:1', 'bob');
  h.add([m(2, 'waves', { action: true })]);
  t.deepEqual(h.recent().map((x) => [x.text, x.action ?? false]), [['old one', false], ['waves', true]]);
  t.deepEqual([...h.all(1)].map((x) => x.id), [1, 2]);
  h.close();
});
