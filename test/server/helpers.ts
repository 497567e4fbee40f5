/** Shared helpers for the server tests: in-process and child-process servers, clients, waiting. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { ChatClient, type ChatMessage } from '../../src/protocol/client.js';
import { decode, type Message } from '../../src/protocol/codec.js';
import { FrameDecoder, type Frame } from '../../src/protocol/framing.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Cheap enough for tests, still a real scrypt. */
export const TEST_COST = 1024;
export const PASSWORD = 'correct horse';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-test-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface TestServer extends RunningServer {
  /** Closes the server and removes its data directory. */
  stop(): Promise<void>;
  connect(): Promise<ChatClient>;
  /** A connected client of a freshly registered, logged-in account. */
  user(name: string, password?: string): Promise<ChatClient>;
}

/** An in-process server on an OS-chosen port with its own temp data directory. */
export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = tempDir();
  const s = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST, ...opts });
  const clients: ChatClient[] = [];
  const connect = async () => {
    const c = await ChatClient.connect({ port: s.port });
    clients.push(c);
    return c;
  };
  return {
    ...s,
    connect,
    async user(name, password = PASSWORD) {
      const c = await connect();
      await c.register(name, password);
      await c.login(name, password);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await s.close();
      removeDir(dir);
    },
  };
}

/** Collects pushed messages of a client; `until(n)` resolves once n have arrived. */
export function inbox(c: { on(event: 'message', f: (m: ChatMessage) => void): unknown }): {
  messages: ChatMessage[];
  until(n: number): Promise<ChatMessage[]>;
} {
  const messages: ChatMessage[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  c.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (messages.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    messages,
    async until(n) {
      if (messages.length < n) await new Promise<void>((resolve) => waiters.push({ n, resolve }));
      return messages;
    },
  };
}

/** Fetches and acks everything waiting, page by page. */
export async function drain(c: ChatClient, page = 100): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  for (;;) {
    const { messages, remaining } = await c.fetch(page);
    all.push(...messages);
    const last = messages.at(-1);
    if (last) await c.ack(last.id);
    if (remaining === 0 || messages.length === 0) return all;
  }
}

export interface ChildServer {
  child: ChildProcess;
  port: number;
  /** Set when `extra` asked for `--grpc-port`. */
  grpcPort?: number;
  stderr: () => string;
}

/**
 * Runs `termchat-server` as a child process (through tsx) and waits for its "listening" line (and its
 * gRPC line when `extra` has --grpc-port). Flags in `extra` override the defaults (the last one wins).
 */
export async function spawnServer(dir: string, extra: string[] = []): Promise<ChildServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/server/main.ts', '--port', '0', '--data', dir, '--scrypt-cost', String(TEST_COST), '--log-level', 'warn', ...extra],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let out = '';
  child.stdout!.setEncoding('utf8');
  const wantGrpc = extra.includes('--grpc-port');
  const ports = await new Promise<{ port: number; grpcPort?: number }>((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      const tcp = /^termchat-server listening on [^\s]+:(\d+), data in (.+)$/m.exec(out);
      const grpc = /^termchat-server gRPC on [^\s]+:(\d+)$/m.exec(out);
      if (tcp && (grpc || !wantGrpc)) {
        child.stdout!.off('data', onData);
        resolve(grpc ? { port: Number(tcp[1]), grpcPort: Number(grpc[1]) } : { port: Number(tcp[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${err}`)));
  });
  return { child, ...ports, stderr: () => err };
}

/** Resolves with the exit code (or signal) of a child. */
export async function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode;
  if (child.signalCode !== null) return child.signalCode;
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return code ?? signal ?? -1;
}

/** A raw socket (frames written by hand) that collects the frames the server sends back and knows when it is closed. */
export async function raw(port: number) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const dec = new FrameDecoder();
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    frames.push(...dec.push(d).map((f) => ({ ...f, body: Buffer.from(f.body) })));
    waiters.splice(0).forEach((w) => w());
  });
  let ended = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      ended = true;
      waiters.splice(0).forEach((w) => w());
      resolve();
    }),
  );
  /** Waits for the next arrival; a closed socket never brings more, so waiting then is an error. */
  const arrival = (what: string) => {
    if (ended) throw new Error(`the connection closed before ${what}`);
    return new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    socket,
    frames,
    closed,
    async next(n: number): Promise<Message[]> {
      while (frames.length < n) await arrival(`${n} frames`);
      return frames.slice(0, n).map((f) => decode(f.opcode, f.body));
    },
    /** Resolves once the frames received so far satisfy `check` (looked at again on every arrival). */
    async until(check: (frames: readonly Frame[]) => boolean): Promise<void> {
      while (!check(frames)) await arrival('the frames awaited');
    },
  };
}

