/** Driving a real termchat in a pseudo-terminal (node-pty) and reading its screen back (headless xterm). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import { waitFor } from '../wait.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COLS = 100;
export const ROWS = 30;

/** `what`, with the screen as it is when a wait gives up (for waitFor's message). */
export function withScreen(what: string, screen: () => string): () => string {
  return () => `${what}\n--- screen ---\n${screen()}`;
}

export interface Screen {
  proc: pty.IPty;
  term: xterm.Terminal;
  text(): string;
  /** Everything the client wrote to its terminal so far. */
  output(): string;
  /** The screen the client is not on (the normal one while it is full-screen), as text. */
  otherScreen(): string;
  exited: Promise<number>;
  waitText(s: string | RegExp): Promise<void>;
  type(s: string): void;
}

/** A termchat on a pty for `servers` (the --server value); `historyDir` keeps its history under the test's temp directory. */
export function startTui(servers: string, logFile: string, historyDir = path.join(path.dirname(logFile), 'history')): Screen {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env['CONTINUOUS_INTEGRATION'];
  env['CI'] = 'false'; // ink renders only the last frame when it believes it runs in CI
  env['TERM'] = 'xterm-256color';
  env['TERMCHAT_LOG'] = logFile;
  const proc = pty.spawn(
    process.execPath,
    ['--import', 'tsx', 'src/tui/main.ts', '--server', servers, '--no-local-server', '--history-dir', historyDir],
    { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: ROOT, env },
  );
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  let written = '';
  proc.onData((d) => {
    written += d;
    term.write(d);
  });
  const exited = new Promise<number>((resolve) => proc.onExit(({ exitCode }) => resolve(exitCode)));
  const lines = (b: xterm.IBuffer) => Array.from({ length: b.length }, (_, i) => b.getLine(i)?.translateToString(true) ?? '').join('\n');
  const text = () => {
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  return {
    proc,
    term,
    text,
    output: () => written,
    otherScreen: () => lines(term.buffer.active.type === 'alternate' ? term.buffer.normal : term.buffer.alternate),
    exited,
    waitText: async (s) => {
      await waitFor(() => (typeof s === 'string' ? text().includes(s) : s.test(text())), withScreen(`screen to show ${String(s)}`, text));
    },
    type: (s) => proc.write(s),
  };
}


/** Types a username and password into the form on screen, each seen before the next, then Enter. */
export async function typeCredentials(s: Screen, name: string, password: string): Promise<void> {
  s.type(name);
  await s.waitText(`Username: ${name}`);
  s.type('\t');
  await s.waitText('› Password:');
  s.type(password);
  await s.waitText(`Password: ${'*'.repeat(password.length)}`);
  s.type('\r');
}
