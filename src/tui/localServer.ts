/**
 * Starting a server when none answers on this machine: the TUI runs `termchat-server` as a
 * detached background process (by its CLI, never by import), so it outlives this terminal and a
 * second `termchat` joins the same server.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerAddress } from './servers.js';

/** Whether something accepts TCP connections at host:port. */
export function probe(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.removeAllListeners();
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export const isLocalHost = (host: string): boolean => ['127.0.0.1', 'localhost', '::1', '0.0.0.0'].includes(host);

/**
 * The server to start when none answers, if any: only a single server on this machine, over plain
 * TCP (a local server speaks no TLS), unless told never to. A list names servers someone runs.
 */
export function autoStartTarget(servers: readonly ServerAddress[], opts: { secure: boolean; noLocalServer: boolean }): ServerAddress | undefined {
  if (servers.length !== 1 || opts.secure || opts.noLocalServer) return undefined;
  return isLocalHost(servers[0]!.host) ? servers[0] : undefined;
}

/** The server entry next to this build: dist/server/main.js, or src/server/main.ts under tsx. */
export function serverEntry(selfUrl: string = import.meta.url): string {
  const self = fileURLToPath(selfUrl);
  const ext = path.extname(self) === '.js' ? '.js' : '.ts';
  return path.resolve(path.dirname(self), '..', 'server', `main${ext}`);
}

/** Node flags to pass on: the loader (tsx when run from source) and nothing else; the client's memory flags would slow a server. */
export function serverExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (/^--(import|require|loader|experimental-loader)=/.test(a)) out.push(a);
    else if (/^--(import|require|loader|experimental-loader)$/.test(a) && i + 1 < execArgv.length) out.push(a, execArgv[++i]!);
  }
  return out;
}

/** Starts the server detached in the background; returns at once (wait with probe()). */
export function startLocalServer(host: string, port: number, dataDir: string): { pid: number | undefined; entry: string } {
  const entry = serverEntry();
  const child = spawn(
    process.execPath,
    [...serverExecArgv(process.execArgv), entry, '--host', host === 'localhost' ? '127.0.0.1' : host, '--port', String(port), '--data', path.resolve(dataDir)],
    { detached: true, stdio: 'ignore' },
  );
  child.on('error', () => undefined);
  child.unref();
  return { pid: child.pid, entry };
}
