/**
 * The termchat-server nodes of a chaos run: real child processes (`node --import tsx
 * src/server/main.ts`), each on fixed ports so it comes back where its clients look for it after a
 * kill -9, under a low open-file limit so that a flood of silent sockets can reach it. Their memory
 * (RSS from /proc) is sampled through the run; a node that dies when no fault killed it is noted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/lib/common.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STARTUP_MS = 60_000;

export interface NodeConfig {
  /** sqlite, or a postgres:// URL shared by every node. */
  store: string;
  /** Where each node gets its data directory and log file. */
  dir: string;
  /** The open-file limit each node runs under. */
  nofile: number;
  tls?: { certFile: string; keyFile: string };
  /** Flags added to every node's command line. */
  extra: string[];
}

export class ServerNode {
  child: ChildProcess | undefined;
  /** Exits nobody asked for (code or signal), with when they happened. */
  readonly crashes: Array<{ at: number; how: string }> = [];
  /** Highest RSS seen, in MiB, and samples taken. */
  maxRss = 0;
  samples = 0;
  /** A fault has it stopped (SIGSTOP) now. */
  stopped = false;
  private expectExit = false;

  private constructor(
    readonly index: number,
    readonly port: number,
    readonly grpcPort: number,
    private readonly cfg: NodeConfig,
  ) {}

  static async create(index: number, cfg: NodeConfig): Promise<ServerNode> {
    return new ServerNode(index, await freePort(), await freePort(), cfg);
  }

  get name(): string {
    return `node${this.index}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process; resolves when both transports listen. */
  async start(): Promise<void> {
    const c = this.cfg;
    const data = path.join(c.dir, this.name);
    const args = ['--port', String(this.port), '--grpc-port', String(this.grpcPort), '--data', data, '--store', c.store, ...c.extra];
    if (c.tls) args.push('--tls-cert', c.tls.certFile, '--tls-key', c.tls.keyFile);
    const log = fs.openSync(path.join(c.dir, `${this.name}.log`), 'a');
    // `ulimit -n` then exec: the node keeps the shell's pid, so signals reach it.
    const child = spawn('/bin/sh', ['-c', `ulimit -n ${c.nofile} && exec "$@"`, 'sh', process.execPath, '--import', 'tsx', 'src/server/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', log],
    });
    fs.closeSync(log);
    this.child = child;
    this.expectExit = false;
    this.stopped = false;
    child.once('exit', (code, signal) => {
      if (!this.expectExit) this.crashes.push({ at: Date.now(), how: signal ?? `exit code ${code}` });
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not listen within ${STARTUP_MS / 1000} s`)), STARTUP_MS);
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before listening (see ${this.name}.log)`));
      };
      child.once('exit', onExit);
      child.stdout!.on('data', (d: string) => {
        out += d;
        if (/listening on /.test(out) && /gRPC on /.test(out)) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        }
      });
    });
  }

  /** kill -9: no shutdown, no flush. Resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectExit = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGSTOP / SIGCONT: the process freezes with its sockets open, then goes on. */
  pause(on: boolean): void {
    if (!this.running) return;
    this.child!.kill(on ? 'SIGSTOP' : 'SIGCONT');
    this.stopped = on;
  }

  /** Samples RSS (MiB) from /proc; undefined when not running. */
  sampleRss(): number | undefined {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!m) return undefined;
      const mib = Number(m[1]) / 1024;
      this.samples++;
      this.maxRss = Math.max(this.maxRss, mib);
      return mib;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM (after SIGCONT if stopped) and wait; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectExit = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
}
