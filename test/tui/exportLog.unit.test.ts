import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportPath, logLine, stamp, writeLog } from '../../src/tui/exportLog.js';
import type { StoredMessage } from '../../src/tui/state/index.js';

const at = new Date(2026, 10, 30, 12, 6).getTime();
const m = (extra: Partial<StoredMessage>): StoredMessage => ({ id: 1, sender: 'alice', peer: 'alice', own: false, clientId: 0, sentAt: at, text: 'hi', ...extra });

test('one line per message, irssi log style: date and time, the conversation, <sender> text; an action as * name text', (t) => {
  t.is(logLine(m({ text: 'café über 日本' })), '2026-11-30 12:06 [alice] <alice> café über 日本');
  t.is(logLine(m({ sender: 'bob', own: true, text: 'back' })), '2026-11-30 12:06 [alice] <bob> back');
  t.is(logLine(m({ text: 'waves', action: true })), '2026-11-30 12:06 [alice]  * alice waves');
  t.is(logLine(m({ text: 'a\x1b[2Jb' })), '2026-11-30 12:06 [alice] <alice> a^[[2Jb', 'no control character reaches the file');
  t.is(stamp(new Date(2027, 0, 2, 3, 4).getTime()), '2027-01-02 03:04');
});

test('the file is written whole, private, a message to yourself once; ~ is the home directory', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-export-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'log.txt');
  const self = { id: 2, sender: 'bob', peer: 'bob', clientId: 9, text: 'note' };
  const n = writeLog(file, [m({}), m({ ...self, own: true }), m({ ...self, own: false }), m({ id: 3, text: 'bye' })], 'bob');
  t.is(n, 3);
  t.deepEqual(fs.readFileSync(file, 'utf8').split('\n'), ['2026-11-30 12:06 [alice] <alice> hi', '2026-11-30 12:06 [bob] <bob> note', '2026-11-30 12:06 [alice] <alice> bye', '']);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.is(exportPath('~/x.log'), path.join(os.homedir(), 'x.log'));
});
