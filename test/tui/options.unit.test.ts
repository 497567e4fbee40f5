import test from 'ava';
import { Command, keyLabel } from '../../src/tui/keys/keymap.js';
import { helpText, OPTIONS, optionsMarkdown, readOptions, type ClientConfig } from '../../src/tui/options.js';
import { inReadme } from './readme.js';

const config = (argv: string[], env: NodeJS.ProcessEnv = {}): ClientConfig => {
  const r = readOptions(argv, env);
  if (!('config' in r)) throw new Error(`no config: ${JSON.stringify(r)}`);
  return r.config;
};

test("README.md's table of flags is the options table", (t) => {
  inReadme(t, optionsMarkdown());
});

test('--help lists every flag, and names the keys that open the help inside (not "?", which types a ?)', (t) => {
  const help = helpText();
  for (const name of Object.keys(OPTIONS)) t.true(help.includes(`--${name}`), name);
  t.true(help.includes(keyLabel(Command.Help)));
  t.false(help.includes('Press ?'));
  for (const line of help.split('\n')) t.true(line.length <= 100, line);
});

test('defaults: one local server, history in the XDG directory, scrollback 2000, auto-fetch, no TLS', (t) => {
  const c = config([], { XDG_DATA_HOME: '/xdg' });
  t.deepEqual(c.servers, [{ host: '127.0.0.1', port: 7878 }]);
  t.is(c.historyDir, '/xdg/termchat');
  t.is(c.dataDir, './termchat-data');
  t.is(c.scrollback, 2000);
  t.true(c.autoFetch);
  t.false(c.secure);
  t.false(c.noLocalServer);
  t.regex(c.logFile, /termchat-.+\.log$/);
});

test('a flag wins over its environment variable, which wins over the default', (t) => {
  const env = { TERMCHAT_SERVER: 'a:1,b:2', TERMCHAT_HISTORY_DIR: '/h', TERMCHAT_DATA: '/d', TERMCHAT_LOG: '/l' };
  const fromEnv = config([], env);
  t.deepEqual(fromEnv.servers, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  t.is(fromEnv.historyDir, '/h');
  t.is(fromEnv.dataDir, '/d');
  t.is(fromEnv.logFile, '/l');
  const fromFlags = config(['--server', 'c:3', '--history-dir', '/h2', '--data', '/d2', '--log', '/l2', '--no-history'], env);
  t.deepEqual(fromFlags.servers, [{ host: 'c', port: 3 }]);
  t.is(fromFlags.historyDir, null, '--no-history keeps none');
  t.is(fromFlags.dataDir, '/d2');
  t.is(fromFlags.logFile, '/l2');
});

test('TLS: --tls, TERMCHAT_TLS=1, or a CA file (flag or TERMCHAT_TLS_CA)', (t) => {
  t.true(config(['--tls']).secure);
  t.true(config([], { TERMCHAT_TLS: '1' }).secure);
  t.false(config([], { TERMCHAT_TLS: '0' }).secure);
  const ca = config(['--tls-ca', 'ca.pem']);
  t.true(ca.secure);
  t.is(ca.tlsCa, 'ca.pem');
  t.is(config([], { TERMCHAT_TLS_CA: 'env.pem' }).tlsCa, 'env.pem');
});

test('--no-auto-fetch, --no-local-server, --scrollback N', (t) => {
  const c = config(['--no-auto-fetch', '--no-local-server', '--scrollback', '50']);
  t.false(c.autoFetch);
  t.true(c.noLocalServer);
  t.is(c.scrollback, 50);
});

test('mistakes are a sentence naming where they came from', (t) => {
  t.regex((readOptions(['--scrollback=-1'], {}) as { error: string }).error, /--scrollback wants a whole number/);
  t.regex((readOptions([], { TERMCHAT_SERVER: 'nope:x' }) as { error: string }).error, /^TERMCHAT_SERVER: /);
  t.regex((readOptions(['--server', 'nope:x'], {}) as { error: string }).error, /^--server: /);
  t.regex((readOptions(['--bogus'], {}) as { error: string }).error, /bogus/);
  t.deepEqual(readOptions(['-h'], {}), { help: true });
  t.deepEqual(readOptions(['--version'], {}), { version: true });
});
