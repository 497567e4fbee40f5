/**
 * The `termchat` command line in one table: parseArgs' configuration, `--help`, the defaults and
 * README's table of flags all come from OPTIONS (test/tui/options.test.ts checks README). Reading
 * the options is pure (argv and environment in, a config or a sentence out), so it is tested
 * without a terminal.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_DATA_DIR } from '../protocol/defaults.js';
import { COMMANDS, commandUsage } from './commands.js';
import { defaultHistoryDir } from './history.js';
import { DEFAULT_SCROLLBACK } from './historyKeeper.js';
import { Command, keyLabel } from './keys/keymap.js';
import { DEFAULT_SERVER, parseServerList, type ServerAddress } from './servers.js';
import { markdownTable } from './text/markdown.js';
import { wrapWords } from './text/wrap.js';

type Env = NodeJS.ProcessEnv;

export interface ClientOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** What the value is, in --help: `--server LIST`. */
  readonly arg?: string;
  /** The environment variable read when the flag is not given (a boolean one is on when it is "1"). */
  readonly env?: string;
  /** The value when neither flag nor environment gives one; a function when it depends on the environment. */
  readonly default?: string | ((env: Env) => string);
  /** How --help and README write a default that is computed. */
  readonly defaultText?: string;
  readonly help: string;
}

const fetchKey = keyLabel(Command.Fetch);
const fetchCommand = commandUsage(COMMANDS.find((c) => c.name === 'fetch')!);

export const OPTIONS = {
  server: {
    type: 'string',
    arg: 'LIST',
    env: 'TERMCHAT_SERVER',
    default: DEFAULT_SERVER,
    help:
      'server(s) to use, HOST:PORT[,HOST:PORT...]; with several, termchat uses the first that answers and moves to the next one in turn when its server goes away, logged in again as before',
  },
  'no-local-server': { type: 'boolean', help: 'never start a server; just connect (and keep retrying)' },
  tls: { type: 'boolean', env: 'TERMCHAT_TLS', help: "connect with TLS; the server's certificate is verified and no local server is started" },
  'tls-ca': { type: 'string', arg: 'FILE', env: 'TERMCHAT_TLS_CA', help: 'trust this CA certificate (PEM) for a self-signed server; implies --tls' },
  data: { type: 'string', arg: 'DIR', env: 'TERMCHAT_DATA', default: DEFAULT_DATA_DIR, help: 'data directory for an auto-started local server' },
  'history-dir': {
    type: 'string',
    arg: 'DIR',
    env: 'TERMCHAT_HISTORY_DIR',
    default: (env) => defaultHistoryDir(env),
    defaultText: '$XDG_DATA_HOME/termchat or ~/.local/share/termchat',
    help: 'where message history is kept, with the outbox of messages the server has not accepted yet: one file per server and account, readable only by you',
  },
  'no-history': { type: 'boolean', help: 'keep no history on disk (messages the server has not accepted are then lost when you quit)' },
  scrollback: {
    type: 'string',
    arg: 'N',
    default: String(DEFAULT_SCROLLBACK),
    help: 'messages brought back from the history at login; older ones stay on disk and /search finds them',
  },
  'no-auto-fetch': { type: 'boolean', help: `leave waiting messages on the server until ${fetchKey} or ${fetchCommand}` },
  'no-bell': {
    type: 'boolean',
    env: 'TERMCHAT_NO_BELL',
    help: 'no terminal bell when a message arrives in a window not on screen (the bell also sets the bell flag of a tmux or screen window)',
  },
  log: {
    type: 'string',
    arg: 'FILE',
    env: 'TERMCHAT_LOG',
    default: () => path.join(os.tmpdir(), `termchat-${os.userInfo().username}.log`),
    defaultText: '$TMPDIR/termchat-$USER.log',
    help: 'log file; nothing is logged to the screen',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  version: { type: 'boolean', short: 'v', help: 'show the version' },
} as const satisfies Record<string, ClientOption>;

export type OptionName = keyof typeof OPTIONS;
const NAMES = Object.keys(OPTIONS) as OptionName[];
const option = (name: OptionName): ClientOption => OPTIONS[name];

/** What the client runs with. */
export interface ClientConfig {
  readonly servers: readonly ServerAddress[];
  readonly noLocalServer: boolean;
  /** TLS: --tls, TERMCHAT_TLS=1, or a CA file given. */
  readonly secure: boolean;
  readonly tlsCa: string | undefined;
  readonly dataDir: string;
  /** null: no history (--no-history). */
  readonly historyDir: string | null;
  readonly scrollback: number;
  readonly autoFetch: boolean;
  /** Ring the terminal bell for a message in a window not on screen. */
  readonly bell: boolean;
  readonly logFile: string;
}

export type ReadOptions = { help: true } | { version: true } | { config: ClientConfig } | { error: string };

/** Reads argv (without node and the script) and the environment. */
export function readOptions(argv: readonly string[], env: Env = process.env): ReadOptions {
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    const options: ParseArgsConfig['options'] = Object.fromEntries(NAMES.map((n) => [n, { type: option(n).type, ...(option(n).short ? { short: option(n).short } : {}) }]));
    ({ values } = parseArgs({ args: [...argv], options, strict: true }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const flag = (n: OptionName): boolean => values[n] === true || (option(n).env !== undefined && env[option(n).env!] === '1');
  /** The flag, else the environment, else the default; and where it came from. */
  const text = (n: OptionName): { value: string | undefined; from: string } => {
    const o = option(n);
    if (typeof values[n] === 'string') return { value: values[n], from: `--${n}` };
    if (o.env !== undefined && env[o.env] !== undefined) return { value: env[o.env], from: o.env };
    const d = o.default;
    return { value: typeof d === 'function' ? d(env) : d, from: `--${n}` };
  };
  if (values['help'] === true) return { help: true };
  if (values['version'] === true) return { version: true };

  const server = text('server');
  let servers: ServerAddress[];
  try {
    servers = parseServerList(server.value!);
  } catch (err) {
    return { error: `${server.from}: ${(err as Error).message}` };
  }
  const raw = text('scrollback').value!;
  const scrollback = Number(raw);
  if (!(Number.isInteger(scrollback) && scrollback >= 0)) return { error: `--scrollback wants a whole number, got "${raw}"` };
  const tlsCa = text('tls-ca').value;
  return {
    config: {
      servers,
      noLocalServer: flag('no-local-server'),
      secure: flag('tls') || tlsCa !== undefined,
      tlsCa,
      dataDir: text('data').value!,
      historyDir: flag('no-history') ? null : text('history-dir').value!,
      scrollback,
      autoFetch: !flag('no-auto-fetch'),
      bell: !flag('no-bell'),
      logFile: text('log').value!,
    },
  };
}

/** `--server LIST`, `-h, --help` */
const flagText = (n: OptionName): string => {
  const o = option(n);
  return `${o.short ? `-${o.short}, ` : ''}--${n}${o.arg ? ` ${o.arg}` : ''}`;
};
const envText = (o: ClientOption): string | undefined => (o.env === undefined ? undefined : o.type === 'boolean' ? `${o.env}=1` : o.env);
const defaultText = (o: ClientOption): string | undefined => o.defaultText ?? (typeof o.default === 'string' ? o.default : undefined);

const FLAG_COLUMN = 23;
const HELP_WIDTH = 100;

/** `termchat --help`. */
export function helpText(): string {
  const lines = NAMES.flatMap((n) => {
    const o = option(n);
    const notes = [defaultText(o) && `default ${defaultText(o)}`, envText(o) && `env ${envText(o)}`].filter(Boolean).join(', ');
    const body = wrapWords(notes ? `${o.help} (${notes})` : o.help, HELP_WIDTH - FLAG_COLUMN);
    const head = `  ${flagText(n)}`;
    const first = head.length < FLAG_COLUMN - 1 ? [`${head.padEnd(FLAG_COLUMN)}${body[0]}`] : [head, ' '.repeat(FLAG_COLUMN) + body[0]];
    return [...first, ...body.slice(1).map((l) => ' '.repeat(FLAG_COLUMN) + l)];
  });
  const help = commandUsage(COMMANDS.find((c) => c.name === 'help')!);
  const epilogue = wrapWords(
    'If a single local server is given and nothing answers there, termchat starts termchat-server in the background ' +
      `(it keeps running after you quit; a second termchat joins it). Inside, ${keyLabel(Command.Help)} or ${help} shows the keys.`,
    HELP_WIDTH,
  );
  return ['termchat: a terminal chat client', '', 'Usage: termchat [options]', '', 'Options:', ...lines, '', ...epilogue, ''].join('\n');
}

/** README's table of flags. */
export const optionsMarkdown = (): string =>
  markdownTable(
    ['Flag', 'Environment', 'Default', 'What it does'],
    NAMES.map((n) => {
      const o = option(n);
      const env = envText(o);
      const d = defaultText(o);
      return [`\`${flagText(n)}\``, env ? `\`${env}\`` : '', d ? `\`${d}\`` : '', o.help];
    }),
  );
