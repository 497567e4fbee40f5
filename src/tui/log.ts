/** The TUI logs to a file, never to the screen (the screen belongs to ink). */
import fs from 'node:fs';

let fd: number | null = null;

/** Starts appending log lines to `file`; until then log() drops them. */
export function openLog(file: string): void {
  try {
    fd = fs.openSync(file, 'a');
  } catch {
    fd = null;
  }
}

/** One timestamped line in the log file. */
export function log(...parts: unknown[]): void {
  if (fd === null) return;
  const text = parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? (p.stack ?? p.message) : JSON.stringify(p))).join(' ');
  try {
    fs.writeSync(fd, `${new Date().toISOString()} ${text}\n`);
  } catch {
    // A full disk must not take the chat down.
  }
}
