import test from 'ava';
import { readFileSync } from 'node:fs';
import { COMMANDS, KEYS } from '../../src/tui/keys.js';

test('README.md lists every key the help overlay shows, with the same description', (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const group of KEYS) {
    for (const [key, action] of group.keys) t.true(readme.includes(`| ${key} | ${action} |`), `${group.where}: ${key}`);
  }
});

test('README.md lists every /command /help shows', (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const [cmd, what] of COMMANDS) t.true(readme.includes(`| \`${cmd}\` | ${what} |`), cmd);
});
