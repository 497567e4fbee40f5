/**
 * A private PostgreSQL instance for the chaos run, so that stopping the database hurts nobody else:
 * initdb in a temporary directory (as the `postgres` user when run as root: initdb refuses root),
 * trust authentication, loopback only, its socket in that directory, on a free port. It can be
 * stopped (fast or immediate, as a crash) and started again, and is removed at the end.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib/common.js';

const run = promisify(execFile);
const ROOTS = ['/usr/lib/postgresql'];

/** The bin directory of the newest installed PostgreSQL (env TERMCHAT_CHAOS_PG_BIN wins), or undefined. */
export function findPgBin(): string | undefined {
  const env = process.env['TERMCHAT_CHAOS_PG_BIN'];
  if (env) return fs.existsSync(path.join(env, 'initdb')) ? env : undefined;
  for (const root of ROOTS) {
    if (!fs.existsSync(root)) continue;
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (fs.existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  }
  return undefined;
}

export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    /** Run the binaries as this user (root cannot run them). */
    private readonly user: string | undefined,
  ) {}

  /** The URL of a schema in this instance's `postgres` database. */
  url(schema: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres?schema=${schema}`;
  }

  get log(): string {
    return path.join(this.dir, 'postgres.log');
  }

  /** initdb and start; throws a sentence when it cannot. */
  static async create(bin: string): Promise<PrivatePostgres> {
    const user = process.getuid?.() === 0 ? 'postgres' : undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-chaos-pg-'));
    if (user) await run('chown', [user, dir]);
    const pg = new PrivatePostgres(bin, dir, await freePort(), user);
    await pg.exec('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const file = path.join(this.bin, tool);
    const cmd = this.user ? ['runuser', ['-u', this.user, '--', file, ...args]] : [file, args];
    try {
      await run(cmd[0] as string, cmd[1] as string[], { timeout: 120_000, cwd: this.dir });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} ${args[0] ?? ''} failed: ${(e.stderr || e.message).trim()}`);
    }
  }

  /** Starts (again) on the same port and data; resolves when it accepts connections. */
  start(): Promise<void> {
    const o = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
    return this.exec('pg_ctl', ['start', '-D', this.data, '-w', '-t', '60', '-l', this.log, '-o', o]);
  }

  /** Stops it: `fast` (clients disconnected, clean) or `immediate` (as a crash: recovery at the next start). */
  stop(how: 'fast' | 'immediate'): Promise<void> {
    return this.exec('pg_ctl', ['stop', '-D', this.data, '-w', '-t', '60', '-m', how]);
  }

  /** Stops it (if it runs) and removes its directory unless kept; returns the directory. */
  async remove(keep: boolean): Promise<string> {
    await this.stop('immediate').catch(() => undefined);
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
    return this.dir;
  }
}
