/** The `termchat` command line: flags, connect (starting a local server when none answers), render. */
import { render } from 'ink';
import fs from 'node:fs';
import path from 'node:path';
import { ChatClient, RepeatFilter } from '../protocol/client.js';
import { App } from './App.js';
import { autoStartTarget, probe, startLocalServer } from './localServer.js';
import { log, openLog } from './log.js';
import { helpText, readOptions } from './options.js';
import { serversName } from './servers.js';
import { clearScreen, enterFullScreen, restoreTerminal, ringBell, setTitle } from './terminal.js';

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

/** Says why the client cannot start, on the normal screen (main.ts may have left it already). */
function refuse(message: string, code = 2): void {
  restoreTerminal();
  process.stderr.write(`${message}\n`);
  process.exitCode = code;
}

async function main(): Promise<void> {
  const read = readOptions(process.argv.slice(2));
  if ('help' in read) {
    restoreTerminal();
    process.stdout.write(helpText());
    return;
  }
  if ('version' in read) {
    restoreTerminal();
    process.stdout.write(`termchat ${version()}\n`);
    return;
  }
  if ('error' in read) return refuse(`termchat: ${read.error}`);
  const { servers, secure, tlsCa: caFile, dataDir, historyDir, scrollback, autoFetch, logFile, noLocalServer, bell } = read.config;
  openLog(logFile);
  log('start', { servers: serversName(servers), pid: process.pid });

  if (!process.stdin.isTTY || !process.stdout.isTTY) return refuse('termchat needs a terminal (stdin and stdout must be a TTY).');

  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = fs.readFileSync(caFile);
    } catch (err) {
      return refuse(`termchat: cannot read --tls-ca ${caFile}: ${(err as Error).message}`);
    }
  }
  const tlsOption = secure ? (ca ? { ca } : true) : undefined;

  let notice: string | null = null;
  let startedServer: string | undefined;
  const local = autoStartTarget(servers, { secure, noLocalServer });
  if (local && !(await probe(local.host, local.port))) {
    const { host, port } = local;
    const { pid, entry } = startLocalServer(host, port, dataDir);
    // Until it listens, connecting fails: the status bar says it is starting, not that it cannot reach it.
    notice = `starting a local termchat-server on port ${port}…`;
    startedServer = `started a local termchat-server (pid ${pid}) on port ${port}, data in ${path.resolve(dataDir)}`;
    log('started local server', { pid, entry });
  }

  // One for every connection: a message pushed again after a reconnect (to any node) is recognised.
  const repeats = new RepeatFilter();
  enterFullScreen(process.stdout); // done already by main.ts, unless started another way
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
      {...(bell ? { bell: ringBell } : {})}
      session={{ historyDir, autoFetch, historyLimit: scrollback, secure, ...(startedServer ? { startedServer } : {}) }}
    />,
    { patchConsole: false, exitOnCtrlC: false },
  );
}

main().catch((err: unknown) => {
  restoreTerminal();
  process.stderr.write(`termchat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
