import test from 'ava';
import path from 'node:path';
import { historyFile } from '../../src/tui/history.js';

const dir = path.join('/', 'h');

test('every account has a file of its own: names that differ only in dots and underscores do not share one', (t) => {
  const names = ['.x', '_x', '..', '_', 'a.b', 'a_b', '-', '.'];
  const files = names.map((n) => historyFile(dir, '127.0.0.1:7878', n));
  t.is(new Set(files).size, names.length);
  for (const f of files) t.is(path.dirname(f), path.join(dir, '127.0.0.1_7878'), f);
});

test('whatever the server or account is called, the file stays in the directory', (t) => {
  for (const [server, account] of [['../../etc', '..'], ['..', '../x'], ['.', 'a/b'], ['a:1,b:2', 'x\\y']]) {
    const f = historyFile(dir, server!, account!);
    t.is(path.dirname(path.dirname(f)), dir, f);
  }
});
