/** The one table of server options: parsing, defaults from the modules that apply them, --help and README. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderReadme, README_PATH } from '../../scripts/readme.js';
import { USERNAME_RULE } from '../../src/protocol/schema.js';
import { DEFAULT_SCRYPT_COST } from '../../src/server/auth.js';
import { parseServerArgs, renderHelp, renderReadmeTable, SERVER_OPTIONS, UsageError, type OptionName } from '../../src/server/options.js';
import { SERVICE_DEFAULTS } from '../../src/server/serviceOptions.js';
import { DEFAULT_THROTTLE } from '../../src/server/throttle.js';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS } from '../../src/server/transports/tcp.js';

test('with no flags every option has the default of the module that applies it', (t) => {
  const { values, given } = parseServerArgs([], {});
  t.is(given.size, 0);
  t.is(values['max-inflight'], DEFAULT_LIMITS.maxInflight);
  t.is(values['max-answer-bytes'], DEFAULT_LIMITS.maxAnswerBytes);
  t.is(values['auth-timeout-ms'], DEFAULT_CONNECTION_LIMITS.authTimeoutMs);
  t.is(values['keepalive-ms'], DEFAULT_CONNECTION_LIMITS.keepAliveMs);
  t.is(values['max-connections'], DEFAULT_CONNECTION_LIMITS.maxConnections);
  t.is(values['max-per-address'], DEFAULT_CONNECTION_LIMITS.maxPerAddress);
  t.is(values['limit-loopback'], DEFAULT_CONNECTION_LIMITS.limitLoopback);
  t.is(values['login-delay-ms'], DEFAULT_THROTTLE.loginDelayMs);
  t.is(values['login-max-delay-ms'], DEFAULT_THROTTLE.loginMaxDelayMs);
  t.is(values['register-per-hour'], DEFAULT_THROTTLE.registerPerWindow);
  t.is(values['mailbox-max'], SERVICE_DEFAULTS.maxQueue);
  t.is(values['mailbox-max-bytes'], SERVICE_DEFAULTS.maxQueueBytes);
  t.is(values['ack-wait-ms'], SERVICE_DEFAULTS.ackWaitMs);
  t.is(values['scrypt-cost'], DEFAULT_SCRYPT_COST);
  t.is(values['grpc-port'], undefined);
  t.is(values['tls-cert'], undefined);
  t.false(values.help);
});

test('a flag wins over its environment variable, which wins over the default', (t) => {
  t.is(parseServerArgs([], { TERMCHAT_PORT: '9000' }).values.port, 9000);
  t.is(parseServerArgs(['--port', '9001'], { TERMCHAT_PORT: '9000' }).values.port, 9001);
  const env = parseServerArgs([], { TERMCHAT_STATS_INTERVAL: '500', TERMCHAT_STORE: 'memory' });
  t.is(env.values['stats-interval'], 500);
  t.is(env.values.store, 'memory');
  t.true(env.given.has('stats-interval'));
  t.true(parseServerArgs(['--limit-loopback', '-h'], {}).values['limit-loopback']);
});

test('a value out of range, an unknown flag or an unpaired TLS file is a usage error that says why', (t) => {
  const why = (argv: string[]) => t.throws(() => parseServerArgs(argv, {}), { instanceOf: UsageError })?.message;
  t.is(why(['--port', '70000']), '--port must be an integer from 0 to 65535, got "70000"');
  t.is(why(['--max-inflight', '0']), '--max-inflight must be an integer from 1 to 1048576, got "0"');
  t.is(why(['--ack-wait-ms', '1.5']), '--ack-wait-ms must be an integer from 0 to 1000, got "1.5"');
  t.regex(why(['--bogus'])!, /Unknown option '--bogus'/);
  t.regex(why(['--store', 'mysql://x'])!, /--store must be sqlite, memory or a postgres:\/\/ URL/);
  t.regex(why(['--log-level', 'loud'])!, /--log-level must be one of trace, /);
  t.is(why(['--tls-cert', 'a.pem']), '--tls-cert and --tls-key go together');
  t.regex(why(['extra'])!, /Unexpected argument 'extra'/);
});

test('--help lists every option with its value, default and environment variable', (t) => {
  const help = renderHelp();
  for (const [name, d] of Object.entries(SERVER_OPTIONS) as [OptionName, (typeof SERVER_OPTIONS)[OptionName]][]) {
    t.true(help.includes(`--${name}${'arg' in d ? ` ${d.arg}` : ''}`), name);
    if ('default' in d) t.true(help.includes(`default ${d.default}`), name);
    if ('env' in d) t.true(help.includes(`env ${d.env}`), name);
  }
  for (const line of help.split('\n')) t.true(line.length <= 100, line);
});

test("README's table of server flags is the one the option table writes (run `npm run docs`)", (t) => {
  const readme = readFileSync(README_PATH, 'utf8');
  t.is(readme, renderReadme(readme));
  t.true(readme.includes(renderReadmeTable()));
});

test('README states the username rule as the schema does', (t) => {
  t.true(readFileSync(README_PATH, 'utf8').includes(USERNAME_RULE.replace(/ of (.*)$/, ' of `$1`')));
});
