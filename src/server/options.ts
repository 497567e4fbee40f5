/**
 * The options of `termchat-server`: ONE table, from which main.ts's parseArgs configuration, its
 * `--help`, the defaults it applies and README's table of flags are all made (a test compares
 * README with renderReadmeTable()). Each default is imported from the module that applies it; a new
 * option is one entry here plus the line in main.ts that hands its value on.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEFAULT_SCRYPT_COST } from './auth.js';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';
import { SERVICE_DEFAULTS } from './serviceOptions.js';
import { GROUP_DEFAULTS } from './groupLimits.js';
import { DEFAULT_RESERVE_BYTES } from './store/diskReserve.js';
import { DEFAULT_LEASE_MS } from './store/postgres.js';
import { DEFAULT_THROTTLE } from './throttle.js';
import { DEFAULT_TOKEN_LIFETIME_MS } from './transports/grpcDefaults.js';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, DEFAULT_MAX_ANSWER_BYTES_TOTAL, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS } from './transports/tcp.js';

export { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT };
export const DEFAULT_LOG_LEVEL = 'info';
/** The log levels `--log-level` takes: pino's, and `silent`. */
export const LOG_LEVELS = [...Object.keys(pino.levels.values), 'silent'];

const DAY_MS = 86_400_000;

export interface OptionDef {
  /** The value's name in `--help` and README (PORT, MS, N ...); absent for a switch. */
  readonly arg?: string;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
  /** The environment variable read when the flag is absent. */
  readonly env?: string;
  /** Integers only: the accepted range, inclusive. */
  readonly int?: readonly [min: number, max: number];
  /** The value the server uses when neither the flag nor `env` is given; absent: off. */
  readonly default?: string | number;
  /** What it does, for `--help` and README (`code` in backticks). */
  readonly help: string;
}

/** The options, in the order `--help` and README list them. */
export const SERVER_OPTIONS = {
  host: { arg: 'HOST', env: 'TERMCHAT_HOST', default: DEFAULT_HOST, help: 'interface to listen on' },
  port: { arg: 'PORT', env: 'TERMCHAT_PORT', int: [0, 65535], default: DEFAULT_PORT, help: 'TCP port; 0 picks a free one' },
  'grpc-port': {
    arg: 'PORT',
    env: 'TERMCHAT_GRPC_PORT',
    int: [0, 65535],
    help: 'also serve the same service over gRPC on this port; 0 picks a free one',
  },
  data: { arg: 'DIR', env: 'TERMCHAT_DATA', default: DEFAULT_DATA_DIR, help: 'the data directory: the SQLite database and the lock (`server.pid`)' },
  store: {
    arg: 'STORE',
    env: 'TERMCHAT_STORE',
    default: 'sqlite',
    help:
      '`sqlite` (durable, in `--data`), `memory` (keeps NOTHING: experiments and benchmarks only), or ' +
      '`postgres://USER@HOST:PORT/DB[?schema=NAME]`: one of several nodes sharing that PostgreSQL database ' +
      '(schema `termchat` unless `?schema=` names another)',
  },
  'disk-reserve-bytes': {
    arg: 'N',
    int: [0, 1 << 30],
    default: DEFAULT_RESERVE_BYTES,
    help: 'SQLite: room kept in `--data` (`reserve.bin`) and given back when the disk fills, so that Acks (which free space) still commit; made again once the disk has room (0: none)',
  },
  backup: {
    arg: 'FILE',
    help: 'write a consistent copy of the SQLite database in `--data` to FILE (safe while a server runs on it; FILE must not exist), then exit',
  },
  'lease-ms': {
    arg: 'MS',
    int: [300, 3_600_000],
    default: DEFAULT_LEASE_MS,
    help: 'with PostgreSQL: a node renews its lease every MS/3; the sessions of a node that stopped (kill -9, lost network) are released after at most MS + MS/3',
  },
  'log-level': { arg: 'LEVEL', env: 'TERMCHAT_LOG_LEVEL', default: DEFAULT_LOG_LEVEL, help: `${LOG_LEVELS.join(', ')}; logs are JSON on stderr` },
  'scrypt-cost': { arg: 'N', int: [2, 1 << 24], default: DEFAULT_SCRYPT_COST, help: 'scrypt cost for new password hashes, a power of two' },
  'max-inflight': {
    arg: 'N',
    int: [1, 1 << 20],
    default: DEFAULT_LIMITS.maxInflight,
    help: 'requests one connection may have unanswered before the server stops reading it',
  },
  'max-answer-bytes': {
    arg: 'N',
    int: [1024, 1 << 30],
    default: DEFAULT_LIMITS.maxAnswerBytes,
    help: 'answer bytes one connection may have pending (a Fetch counts as its largest batch) before the server stops reading it',
  },
  'max-answer-bytes-total': {
    arg: 'N',
    int: [0, 2 ** 40],
    default: DEFAULT_MAX_ANSWER_BYTES_TOTAL,
    help: 'answer bytes all connections together may have pending; past it the connections holding the most wait first, while one holding nothing may always start a request (0: no such bound)',
  },
  'ack-wait-ms': {
    arg: 'MS',
    int: [0, 1000],
    default: SERVICE_DEFAULTS.ackWaitMs,
    help: 'how long a message pushed to an online recipient waits for its Ack before it is written; acknowledged in time, it is never written (0: write every message)',
  },
  'metrics-port': {
    arg: 'PORT',
    env: 'TERMCHAT_METRICS_PORT',
    int: [0, 65535],
    help: 'serve `/metrics` (Prometheus text: connections, refusals by reason, store batches, event-loop delay, the answer budget ...) and `/health` (200, or 503 while shutting down or without its database) over HTTP on this port of `--host`; 0 picks a free one',
  },
  'ack-wait-max-ms': {
    arg: 'MS',
    int: [0, 10_000],
    default: SERVICE_DEFAULTS.ackWaitMaxMs,
    help: 'the longest that wait gets: a recipient that acknowledges late (reading a busy stream) waits twice its recent delay, up to MS, so what it is about to acknowledge is still not written',
  },
  'stats-interval': {
    arg: 'MS',
    env: 'TERMCHAT_STATS_INTERVAL',
    int: [100, DAY_MS],
    help: 'log a `stats` line every MS: event-loop delay p50/p99/max, CPU, RSS, store commits and operations',
  },
  'tls-cert': {
    arg: 'FILE',
    env: 'TERMCHAT_TLS_CERT',
    help: 'serve TLS on both transports with this PEM certificate (chain); needs `--tls-key`',
  },
  'tls-key': { arg: 'FILE', env: 'TERMCHAT_TLS_KEY', help: "the certificate's PEM private key (keep it 0600); needs `--tls-cert`" },
  'auth-timeout-ms': {
    arg: 'MS',
    int: [0, DAY_MS],
    default: DEFAULT_CONNECTION_LIMITS.authTimeoutMs,
    help: 'a TCP connection without a successful Register or Login by then gets `IDLE_TIMEOUT` and is closed; a gRPC connection that has opened no call (Ping aside) by then is closed (0: never)',
  },
  'tls-handshake-timeout-ms': {
    arg: 'MS',
    int: [0, DAY_MS],
    default: DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    help: 'with TLS: a TCP connection whose handshake is not done by then is closed; the socket counts against the connection caps from its accept (0: no limit)',
  },
  'frame-timeout-ms': {
    arg: 'MS',
    int: [0, DAY_MS],
    default: DEFAULT_CONNECTION_LIMITS.frameTimeoutMs,
    help: 'a frame a peer has begun must be complete by then, or the connection gets `IDLE_TIMEOUT` and is closed (0: no limit)',
  },
  'keepalive-ms': {
    arg: 'MS',
    int: [0, DAY_MS],
    default: DEFAULT_CONNECTION_LIMITS.keepAliveMs,
    help: 'a TCP connection silent for MS gets a `KeepAlive` push; silent for another MS it is closed as dead, so a dead peer goes within 3 times MS; gRPC connections get an HTTP/2 PING every MS and are closed when one is not answered within MS (0: off)',
  },
  'max-connections': {
    arg: 'N',
    int: [1, 1 << 24],
    default: DEFAULT_CONNECTION_LIMITS.maxConnections,
    help: 'connections at once, in all, TCP, TLS (from the accept, before the handshake) and gRPC together; lowered to fit the open-file limit, which is logged at start',
  },
  'max-per-address': {
    arg: 'N',
    int: [1, 1 << 24],
    default: DEFAULT_CONNECTION_LIMITS.maxPerAddress,
    help: 'connections at once from one address, all transports together',
  },
  'limit-loopback': {
    help: 'apply the per-address limits (connections, login and registration rates) to loopback addresses (127.0.0.0/8, ::1) too; without it local clients are not limited per address',
  },
  'login-delay-ms': {
    arg: 'MS',
    int: [0, 3_600_000],
    default: DEFAULT_THROTTLE.loginDelayMs,
    help: 'after a failed Login, the next Login from that address, of that account from that address, and of that account from addresses it never logged in from waits MS, doubled with each further failure; the owner at an address it logged in from before is not slowed by failures elsewhere; a successful Login clears its address (0: off)',
  },
  'login-max-delay-ms': {
    arg: 'MS',
    int: [0, 3_600_000],
    default: DEFAULT_THROTTLE.loginMaxDelayMs,
    help: 'the longest such wait; a Login whose turn is further off is refused after it, unchecked',
  },
  'register-per-hour': {
    arg: 'N',
    int: [0, 1 << 30],
    default: DEFAULT_THROTTLE.registerPerWindow,
    help: 'registrations one address may make per hour (0: no limit)',
  },
  'mailbox-max': {
    arg: 'N',
    int: [1, 1 << 30],
    default: SERVICE_DEFAULTS.maxQueue,
    help: 'messages that may wait for one recipient; past it a Send is `MAILBOX_FULL`',
  },
  'mailbox-max-bytes': {
    arg: 'N',
    int: [1, 2 ** 40],
    default: SERVICE_DEFAULTS.maxQueueBytes,
    help: 'content bytes that may wait for one recipient; past it a Send is `MAILBOX_FULL`',
  },
  'group-max-members': {
    arg: 'N',
    int: [2, 65535],
    default: GROUP_DEFAULTS.maxMembers,
    help: 'members one group may have; past it a JoinGroup is `GROUP_FULL`',
  },
  'groups-per-account': {
    arg: 'N',
    int: [1, 65535],
    default: GROUP_DEFAULTS.maxGroupsPerAccount,
    help: 'groups one account may be a member of (its own included); past it a CreateGroup or JoinGroup is `TOO_MANY_GROUPS`',
  },
  'group-receipt-ms': {
    arg: 'MS',
    int: [10, 60_000],
    default: GROUP_DEFAULTS.receiptMs,
    help: 'a sender is pushed the delivery count of each of its group messages (`GroupDelivered`, "delivered to k of n") at most once per MS while it grows',
  },
  'token-lifetime-ms': {
    arg: 'MS',
    int: [1000, 30 * DAY_MS],
    default: DEFAULT_TOKEN_LIFETIME_MS,
    help: 'a gRPC session token expires this long after its Login, whatever the activity',
  },
  help: { short: 'h', help: 'show this help' },
  version: { short: 'v', help: 'show the version' },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof SERVER_OPTIONS;
type Def<K extends OptionName> = (typeof SERVER_OPTIONS)[K];

/** The value of each option after flags, environment and defaults: a number for integers, a string, a boolean for switches; undefined when off. */
export type ServerArgs = {
  [K in OptionName]: Def<K> extends { int: readonly [number, number] }
    ? Def<K> extends { default: number }
      ? number
      : number | undefined
    : Def<K> extends { arg: string }
      ? Def<K> extends { default: string }
        ? string
        : string | undefined
      : boolean;
};

/** What the command line asked for: the values, and which options were given (by flag or environment). */
export interface ParsedArgs {
  values: ServerArgs;
  given: ReadonlySet<OptionName>;
}

/** A command line the server cannot run with: the sentence says why (the CLI prints it and the usage). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const defs = SERVER_OPTIONS as Record<OptionName, OptionDef>;
const names = Object.keys(SERVER_OPTIONS) as OptionName[];

/** Reads argv (without node and the script) and the environment against the table; throws UsageError. */
export function parseServerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let flags: Record<string, string | boolean | undefined>;
  try {
    const config = Object.fromEntries(
      names.map((n) => {
        const d = defs[n];
        return [n, { type: d.arg ? ('string' as const) : ('boolean' as const), ...(d.short ? { short: d.short } : {}) }];
      }),
    );
    flags = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Record<string, string | number | boolean | undefined> = {};
  const given = new Set<OptionName>();
  for (const n of names) {
    const d = defs[n];
    const raw = flags[n] ?? (d.env === undefined ? undefined : env[d.env]);
    if (raw !== undefined) given.add(n);
    if (!d.arg) {
      values[n] = raw === true;
      continue;
    }
    if (raw === undefined) {
      values[n] = d.default;
      continue;
    }
    values[n] = d.int ? int(n, String(raw), d.int) : String(raw);
  }
  const v = values as ServerArgs;
  if (!LOG_LEVELS.includes(v['log-level'])) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${v['log-level']}"`);
  if (v.store !== 'sqlite' && v.store !== 'memory' && !isPostgresUrl(v.store)) {
    throw new UsageError(`--store must be sqlite, memory or a postgres:// URL, got "${v.store}"`);
  }
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  return { values: v, given };
}

/** Whether a --store value names a PostgreSQL database. */
export function isPostgresUrl(store: string): store is `postgres://${string}` {
  return /^postgres(ql)?:\/\//.test(store);
}

function int(name: string, value: string, [min, max]: readonly [number, number]): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** `--name ARG` (and `-x, ` before it when there is a short form). */
function flagText(n: OptionName): string {
  const d = defs[n];
  return `${d.short ? `-${d.short}, ` : ''}--${n}${d.arg ? ` ${d.arg}` : ''}`;
}

const HELP_INDENT = 26;
const HELP_WIDTH = 100;

/** The text of `termchat-server --help`. */
export function renderHelp(): string {
  const lines = ['Usage: termchat-server [options]', '', 'Options (a flag wins over its environment variable):'];
  for (const n of names) {
    const d = defs[n];
    // NUL keeps "default X" on one line; it becomes a space again after wrapping.
    const notes = [d.default !== undefined ? `default\0${d.default}` : d.arg ? 'default\0off' : undefined, d.env && `env\0${d.env}`].filter(Boolean);
    lines.push(...hanging(`  ${flagText(n)}`, `${d.help.replaceAll('`', '')}${notes.length ? ` (${notes.join(', ')})` : ''}`));
  }
  return `${lines.join('\n').replaceAll('\0', ' ')}\n`;
}

/** `text` wrapped at HELP_WIDTH, indented by HELP_INDENT, starting on the line of `head` if it fits there. */
function hanging(head: string, text: string): string[] {
  const out: string[] = [];
  const indent = ' '.repeat(HELP_INDENT);
  let line = head.length < HELP_INDENT ? head.padEnd(HELP_INDENT) : (out.push(head), indent);
  for (const w of text.split(' ')) {
    if (line.length > HELP_INDENT && line.length + 1 + w.length > HELP_WIDTH) {
      out.push(line);
      line = indent + w;
    } else line = line.length > HELP_INDENT ? `${line} ${w}` : line + w;
  }
  out.push(line);
  return out;
}

/** README's table of flags (between its `server-options` markers). */
export function renderReadmeTable(): string {
  const rows = ['| flag | env | default | |', '|---|---|---|---|'];
  for (const n of names) {
    const d = defs[n];
    const def = d.default === undefined ? 'off' : `\`${d.default}\``;
    rows.push(`| \`${flagText(n)}\` | ${d.env ? `\`${d.env}\`` : ''} | ${d.arg ? def : ''} | ${d.help} |`);
  }
  return rows.join('\n');
}
