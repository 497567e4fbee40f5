#!/usr/bin/env node
/**
 * `termchat-server`: the headless termchat server. Flags (or TERMCHAT_* environment variables) pick
 * the address, data directory and log level; SIGINT/SIGTERM shut it down cleanly.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startServer } from './server.js';

const HELP = `Usage: termchat-server [options]

Options:
  --host HOST          interface to listen on (default 127.0.0.1, env TERMCHAT_HOST)
  --port PORT          TCP port, 0 = any free port (default 7878, env TERMCHAT_PORT)
  --grpc-port PORT     also serve gRPC on this port, 0 = any free port (default off, env TERMCHAT_GRPC_PORT)
  --data DIR           data directory (default ./termchat-data, env TERMCHAT_DATA)
  --store STORE        sqlite (default: durable, in --data), memory (NOTHING is kept: for
                       experiments and benchmarks only), or postgres://USER@HOST:PORT/DB to run as
                       one of several nodes sharing that PostgreSQL database; add ?schema=NAME to
                       use a schema other than "termchat" (env TERMCHAT_STORE)
  --lease-ms MS        with postgres: a node renews its lease every MS/3; the sessions of a node
                       that stops (kill -9, lost network) are released after at most MS + MS/3
                       (default 15000)
  --ack-wait-ms MS     how long a message pushed to an online recipient waits for its Ack before
                       it is written to disk; acknowledged in time it is never written (default 2)
  --max-inflight N     requests one connection may have unanswered before the server stops
                       reading it (default 1024)
  --max-answer-bytes N answer bytes one connection may have pending before the server stops
                       reading it (default 1048576)
  --mailbox-max N      messages that may wait for one recipient; past it a Send is refused with
                       MAILBOX_FULL (default 10000)
  --mailbox-max-bytes N  content bytes that may wait for one recipient (default 4194304)
  --login-delay-ms MS  after a failed Login, the next Login of that account or from that address
                       waits MS, doubled with each further failure (default 250; 0 = off)
  --login-max-delay-ms MS  the longest such wait (default 15000)
  --register-per-hour N  registrations one address may make per hour (default 10; 0 = no limit)
  --tls-cert FILE      serve TLS on both transports with this PEM certificate (chain); needs
                       --tls-key (env TERMCHAT_TLS_CERT, TERMCHAT_TLS_KEY)
  --tls-key FILE       the certificate's PEM private key (keep it 0600)
  --token-lifetime-ms MS  a gRPC session token expires this long after its Login, whatever the
                       activity (default 3600000)
  --auth-timeout-ms MS a connection without a successful Register or Login within MS is closed
                       (default 10000; 0 = never)
  --keepalive-ms MS    a connection silent for MS gets a KeepAlive push; silent for another MS it
                       is closed as dead, so a dead peer goes within 3 x MS (default 30000; 0 = off)
  --max-connections N  TCP connections at once, in all (default 10000, lowered to fit the open-file
                       limit, which is logged at start)
  --max-per-address N  TCP connections at once from one address (default 64)
  --limit-loopback     apply the per-address limits (connections, login and registration rates) to
                       127.0.0.1 and ::1 too (default: local clients are not limited per address)
  --log-level LEVEL    trace|debug|info|warn|error|fatal|silent (default info, env TERMCHAT_LOG_LEVEL)
  --scrypt-cost N      scrypt cost for new password hashes, a power of two (default 16384)
  --stats-interval MS  log a "stats" line (event-loop delay p50/p99/max, CPU, RSS) every MS
                       milliseconds (default off, env TERMCHAT_STATS_INTERVAL)
  -h, --help           show this help
  -v, --version        show the version
`;

/** host/database and schema of a postgres:// URL, without its credentials. */
function describePostgres(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}, schema ${u.searchParams.get('schema') ?? 'termchat'}`;
}

function version(): string {
  // src/server/main.ts and dist/server/main.js both sit two levels below package.json.
  const pkg = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function fail(message: string): never {
  process.stderr.write(`termchat-server: ${message}\n${HELP}`);
  process.exit(2);
}

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) fail(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'grpc-port': { type: 'string' },
        data: { type: 'string' },
        store: { type: 'string' },
        'max-inflight': { type: 'string' },
        'ack-wait-ms': { type: 'string' },
        'max-answer-bytes': { type: 'string' },
        'auth-timeout-ms': { type: 'string' },
        'token-lifetime-ms': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'login-delay-ms': { type: 'string' },
        'login-max-delay-ms': { type: 'string' },
        'register-per-hour': { type: 'string' },
        'mailbox-max': { type: 'string' },
        'mailbox-max-bytes': { type: 'string' },
        'keepalive-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'max-per-address': { type: 'string' },
        'limit-loopback': { type: 'boolean' },
        'log-level': { type: 'string' },
        'scrypt-cost': { type: 'string' },
        'stats-interval': { type: 'string' },
        'lease-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const env = process.env;
  const level = values['log-level'] ?? env.TERMCHAT_LOG_LEVEL ?? 'info';
  if (!(level in pino.levels.values) && level !== 'silent') fail(`unknown log level "${level}"`);
  const logger = pino({ level, base: { name: 'termchat-server' } }, pino.destination({ fd: 2, sync: true }));

  const grpcPort = values['grpc-port'] ?? env.TERMCHAT_GRPC_PORT;
  const statsInterval = values['stats-interval'] ?? env.TERMCHAT_STATS_INTERVAL;
  const store = values.store ?? env.TERMCHAT_STORE ?? 'sqlite';
  const postgres = /^postgres(ql)?:\/\//.test(store);
  if (store !== 'sqlite' && store !== 'memory' && !postgres) fail(`--store must be sqlite, memory or a postgres:// URL, got "${store}"`);
  const limits = {
    ...(values['max-inflight'] === undefined ? {} : { maxInflight: int('--max-inflight', values['max-inflight'], 1, 1 << 20) }),
    ...(values['max-answer-bytes'] === undefined
      ? {}
      : { maxAnswerBytes: int('--max-answer-bytes', values['max-answer-bytes'], 1024, 1 << 30) }),
  };
  const opt = (name: string, min: number, max: number) => {
    const v = (values as Record<string, string | boolean | undefined>)[name];
    return typeof v === 'string' ? int(`--${name}`, v, min, max) : undefined;
  };
  const connections = {
    authTimeoutMs: opt('auth-timeout-ms', 0, 86_400_000),
    keepAliveMs: opt('keepalive-ms', 0, 86_400_000),
    maxConnections: opt('max-connections', 1, 1 << 24),
    maxPerAddress: opt('max-per-address', 1, 1 << 24),
    limitLoopback: values['limit-loopback'],
  };
  const certFile = values['tls-cert'] ?? env.TERMCHAT_TLS_CERT;
  const keyFile = values['tls-key'] ?? env.TERMCHAT_TLS_KEY;
  if ((certFile === undefined) !== (keyFile === undefined)) fail('--tls-cert and --tls-key go together');
  let tlsFiles;
  if (certFile !== undefined && keyFile !== undefined) {
    try {
      tlsFiles = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
    } catch (err) {
      fail(`cannot read the TLS certificate or key: ${(err as Error).message}`);
    }
  }
  let server;
  try {
    server = await startServer({
      host: values.host ?? env.TERMCHAT_HOST ?? '127.0.0.1',
      port: int('--port', values.port ?? env.TERMCHAT_PORT ?? '7878', 0, 65535),
      grpcPort: grpcPort === undefined ? undefined : int('--grpc-port', grpcPort, 0, 65535),
      dataDir: values.data ?? env.TERMCHAT_DATA ?? './termchat-data',
      scryptCost: values['scrypt-cost'] === undefined ? undefined : int('--scrypt-cost', values['scrypt-cost'], 2, 1 << 24),
      store: store as 'sqlite' | 'memory' | `postgres://${string}`,
      leaseMs: opt('lease-ms', 300, 3_600_000),
      limits,
      ...(tlsFiles ? { tls: tlsFiles } : {}),
      maxQueue: opt('mailbox-max', 1, 1 << 30),
      tokenLifetimeMs: opt('token-lifetime-ms', 1000, 30 * 86_400_000),
      throttle: Object.fromEntries(
        Object.entries({
          loginDelayMs: opt('login-delay-ms', 0, 3_600_000),
          loginMaxDelayMs: opt('login-max-delay-ms', 0, 3_600_000),
          registerPerWindow: opt('register-per-hour', 0, 1 << 30),
        }).filter(([, v]) => v !== undefined),
      ),
      maxQueueBytes: opt('mailbox-max-bytes', 1, 2 ** 40),
      connections: Object.fromEntries(Object.entries(connections).filter(([, v]) => v !== undefined)),
      ackWaitMs: values['ack-wait-ms'] === undefined ? undefined : int('--ack-wait-ms', values['ack-wait-ms'], 0, 1000),
      statsIntervalMs: statsInterval === undefined ? undefined : int('--stats-interval', statsInterval, 100, 86_400_000),
      logger,
    });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    process.stderr.write(`termchat-server: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const where = postgres ? `PostgreSQL ${describePostgres(store)}` : server.dataDir;
  process.stdout.write(`termchat-server listening on ${server.host}:${server.port}, data in ${where}${tlsFiles ? ' (TLS)' : ''}\n`);
  if (server.grpcPort !== undefined) process.stdout.write(`termchat-server gRPC on ${server.host}:${server.grpcPort}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal means "now": skip the graceful part (the store is crash-safe anyway).
      logger.warn({ signal }, 'second signal, exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
