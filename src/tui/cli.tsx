/** The `termchat` command line: flags, connect (starting a local server when none answers), render. */
import { render } from 'ink';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ChatClient, RepeatFilter } from '../protocol/client.js';
import { App } from './App.js';
import { defaultHistoryDir } from './history.js';
import { autoStartTarget, probe, startLocalServer } from './localServer.js';
import { log, openLog } from './log.js';
import { DEFAULT_SERVER, parseServerList, serversName, type ServerAddress } from './servers.js';
import { clearScreen, enterFullScreen, restoreTerminal, setTitle } from './terminal.js';

const HELP = `termchat: a terminal chat client

Usage: termchat [options]

Options:
  --server LIST        server(s) to use, HOST:PORT[,HOST:PORT...] (default 127.0.0.1:7878,
                       env TERMCHAT_SERVER); with several, termchat uses the first that answers
                       and moves to the next one in turn when its server goes away, logged in
                       again as before
  --no-local-server    never start a server; just connect (and keep retrying)
  --tls                connect with TLS (the server's certificate is verified; no local server
                       is started), env TERMCHAT_TLS=1
  --tls-ca FILE        trust this CA certificate (PEM) for a self-signed server; implies --tls
  --data DIR           data directory for an auto-started local server (default ./termchat-data,
                       env TERMCHAT_DATA)
  --history-dir DIR    where message history is kept (default $XDG_DATA_HOME/termchat or
                       ~/.local/share/termchat, env TERMCHAT_HISTORY_DIR)
  --no-history         keep no history on disk
  --scrollback N       messages brought back from the history at login (default 2000; older ones
                       stay on disk and /search finds them)
  --no-auto-fetch      leave waiting messages on the server until Ctrl-F or /fetch
  --log FILE           log file (default $TMPDIR/termchat-$USER.log, env TERMCHAT_LOG)
  -h, --help           show this help
  -v, --version        show the version

If a single local server is given and nothing answers there, termchat starts termchat-server
in the background (it keeps running after you quit; a second termchat joins it). Press ? inside
for the keys.
`;

/**
 * How soon a dead server is noticed when nothing says so (its machine or the network gone): a
 * connect gives up after 10 s, and a silent link is tested after 15 s and given up 10 s later. Then
 * the session goes on to the next server.
 */
const LIVENESS = { connectTimeoutMs: 10_000, heartbeat: { idleMs: 15_000, answerMs: 10_000 } } as const;

function version(): string {
  try {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(here, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      'no-local-server': { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      'tls-ca': { type: 'string' },
      data: { type: 'string' },
      log: { type: 'string' },
      'history-dir': { type: 'string' },
      'no-history': { type: 'boolean', default: false },
      scrollback: { type: 'string' },
      'no-auto-fetch': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`termchat ${version()}\n`);
    return;
  }
  let servers: ServerAddress[];
  try {
    servers = parseServerList(values.server ?? process.env['TERMCHAT_SERVER'] ?? DEFAULT_SERVER);
  } catch (err) {
    const from = values.server !== undefined ? '--server' : 'TERMCHAT_SERVER';
    process.stderr.write(`termchat: ${from}: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const scrollback = values.scrollback === undefined ? undefined : Number(values.scrollback);
  if (scrollback !== undefined && !(Number.isInteger(scrollback) && scrollback >= 0)) {
    process.stderr.write(`termchat: --scrollback wants a whole number, got "${values.scrollback}"\n`);
    process.exitCode = 2;
    return;
  }
  const historyDir = values['no-history'] ? null : (values['history-dir'] ?? process.env['TERMCHAT_HISTORY_DIR'] ?? defaultHistoryDir());
  const dataDir = values.data ?? process.env['TERMCHAT_DATA'] ?? './termchat-data';
  openLog(values.log ?? process.env['TERMCHAT_LOG'] ?? path.join(os.tmpdir(), `termchat-${os.userInfo().username}.log`));
  log('start', { servers: serversName(servers), pid: process.pid });

  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('termchat needs a terminal (stdin and stdout must be a TTY).\n');
    process.exitCode = 2;
    return;
  }

  const caFile = values['tls-ca'] ?? process.env['TERMCHAT_TLS_CA'];
  const secure = values.tls || caFile !== undefined || process.env['TERMCHAT_TLS'] === '1';
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = fs.readFileSync(caFile);
    } catch (err) {
      process.stderr.write(`termchat: cannot read --tls-ca ${caFile}: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
  }
  const tlsOption = secure ? (ca ? { ca } : true) : undefined;

  let notice: string | null = null;
  const local = autoStartTarget(servers, { secure, noLocalServer: values['no-local-server'] });
  if (local && !(await probe(local.host, local.port))) {
    const { host, port } = local;
    const { pid, entry } = startLocalServer(host, port, dataDir);
    notice = `started a local termchat-server (pid ${pid}) on port ${port}, data in ${path.resolve(dataDir)}`;
    log('started local server', { pid, entry });
  }

  // One for every connection: a message pushed again after a reconnect (to any node) is recognised.
  const repeats = new RepeatFilter();
  enterFullScreen(process.stdout);
  let quitting = false;
  const quit = (code = 0) => {
    if (quitting) return;
    quitting = true;
    instance.unmount();
    restoreTerminal();
    log('quit', code);
    // ink and the socket are gone; do not wait for stray timers.
    setImmediate(() => process.exit(code));
  };
  process.on('uncaughtException', (err) => {
    log('uncaught', err);
    restoreTerminal();
    process.stderr.write(`termchat crashed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => log('unhandled rejection', err));

  const instance = render(
    <App
      connect={({ host, port }) => ChatClient.connect({ host, port, repeats, ...LIVENESS, ...(tlsOption ? { tls: tlsOption } : {}) })}
      servers={servers}
      secure={secure}
      notice={notice}
      onQuit={() => quit(0)}
      onRedraw={() => {
        clearScreen();
        instance.clear();
      }}
      setTitle={setTitle}
      session={{ historyDir, autoFetch: !values['no-auto-fetch'], ...(scrollback === undefined ? {} : { historyLimit: scrollback }) }}
    />,
    { patchConsole: false, exitOnCtrlC: false },
  );
}

main().catch((err: unknown) => {
  restoreTerminal();
  process.stderr.write(`termchat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
