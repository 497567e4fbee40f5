#!/usr/bin/env node
/**
 * `termchat-server`: the headless termchat server. Flags (or TERMCHAT_* environment variables, see
 * options.ts, the one table of them) pick the address, store, limits and log level; SIGINT/SIGTERM
 * shut it down cleanly.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pino from 'pino';
import { backup } from './backup.js';
import { isPostgresUrl, parseServerArgs, renderHelp, UsageError, type ParsedArgs } from './options.js';
import { startServer } from './server.js';

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
  process.stderr.write(`termchat-server: ${message}\n${renderHelp()}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args: ParsedArgs;
  try {
    args = parseServerArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  const { values: v, given } = args;
  if (v.help) {
    process.stdout.write(renderHelp());
    return;
  }
  if (v.version) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (v.backup !== undefined) {
    try {
      const size = backup(path.resolve(v.data), v.backup);
      process.stdout.write(`termchat-server: backed up ${path.resolve(v.data)} to ${v.backup} (${size} bytes)\n`);
    } catch (err) {
      process.stderr.write(`termchat-server: backup failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  const logger = pino({ level: v['log-level'], base: { name: 'termchat-server' } }, pino.destination({ fd: 2, sync: true }));
  const store = v.store as 'sqlite' | 'memory' | `postgres://${string}`;
  const postgres = isPostgresUrl(store);
  let tlsFiles;
  if (v['tls-cert'] !== undefined && v['tls-key'] !== undefined) {
    try {
      tlsFiles = { cert: fs.readFileSync(v['tls-cert']), key: fs.readFileSync(v['tls-key']) };
    } catch (err) {
      fail(`cannot read the TLS certificate or key: ${(err as Error).message}`);
    }
  }
  let server;
  try {
    server = await startServer({
      host: v.host,
      port: v.port,
      grpcPort: v['grpc-port'],
      dataDir: v.data,
      scryptCost: v['scrypt-cost'],
      store,
      leaseMs: v['lease-ms'],
      limits: { maxInflight: v['max-inflight'], maxAnswerBytes: v['max-answer-bytes'] },
      maxAnswerBytesTotal: v['max-answer-bytes-total'],
      tlsHandshakeTimeoutMs: v['tls-handshake-timeout-ms'],
      ...(tlsFiles ? { tls: tlsFiles } : {}),
      maxQueue: v['mailbox-max'],
      maxQueueBytes: v['mailbox-max-bytes'],
      groups: { maxMembers: v['group-max-members'], maxGroupsPerAccount: v['groups-per-account'], receiptMs: v['group-receipt-ms'] },
      tokenLifetimeMs: v['token-lifetime-ms'],
      throttle: {
        loginDelayMs: v['login-delay-ms'],
        loginMaxDelayMs: v['login-max-delay-ms'],
        registerPerWindow: v['register-per-hour'],
      },
      connections: {
        authTimeoutMs: v['auth-timeout-ms'],
        keepAliveMs: v['keepalive-ms'],
        frameTimeoutMs: v['frame-timeout-ms'],
        // Only when asked for: the server lowers it to fit the open-file limit, and warns if it was asked.
        ...(given.has('max-connections') ? { maxConnections: v['max-connections'] } : {}),
        maxPerAddress: v['max-per-address'],
        limitLoopback: v['limit-loopback'],
      },
      ackWaitMs: v['ack-wait-ms'],
      ackWaitMaxMs: v['ack-wait-max-ms'],
      statsIntervalMs: v['stats-interval'],
      metricsPort: v['metrics-port'],
      diskReserveBytes: v['disk-reserve-bytes'],
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
  if (server.metricsPort !== undefined) process.stdout.write(`termchat-server metrics on http://${server.host}:${server.metricsPort}/metrics\n`);

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
