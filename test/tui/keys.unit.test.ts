import test from 'ava';
import { COMMANDS } from '../../src/tui/commands.js';
import { commandsMarkdown, keysMarkdown } from '../../src/tui/keys/docs.js';
import { HANDLERS } from '../../src/tui/keys/handlers.js';
import { bindingOf, Command, KEYMAP } from '../../src/tui/keys/keymap.js';
import { inReadme } from './readme.js';

test("README.md's key table is the keymap, every scope, key and description", (t) => {
  inReadme(t, keysMarkdown());
});

test("README.md's table of /commands is the one /help shows and Enter runs", (t) => {
  inReadme(t, commandsMarkdown());
});

test('every command of the keymap has keys, exactly one row, and a handler', (t) => {
  const rows = KEYMAP.flatMap((s) => s.bindings.map((b) => b.command));
  for (const c of Object.values(Command)) {
    t.is(rows.filter((r) => r === c).length, 1, c);
    t.true(bindingOf(c).keys.length > 0, c);
    t.is(typeof HANDLERS[c], 'function', c);
  }
});

test('no key is bound twice in one scope (the second binding would never act)', (t) => {
  for (const s of KEYMAP) {
    const specs = s.bindings.flatMap((b) => b.keys.map((k) => k.spec));
    t.deepEqual(specs.filter((k, i) => specs.indexOf(k) !== i), [], s.title);
  }
});

test('command names and aliases are unique', (t) => {
  const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  t.is(new Set(names).size, names.length);
});
