/**
 * /export FILE: the history as plain text, one line per message, in the style of an irssi log so
 * that grep and the usual log tools work on it:
 *
 *   2026-11-30 12:06 [alice] <alice> café über 日本
 *   2026-11-30 12:07 [alice] <bob> grüße zurück
 *   2026-11-30 12:08 [alice]  * alice waves
 *
 * The bracketed name is the conversation (irssi keeps one file per conversation); `<name>` the sender.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printable } from './text/printable.js';
import type { StoredMessage } from './state/index.js';

const two = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DD HH:MM" in local time. */
export const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
};

/** One message as a log line (control characters made visible, as on screen). */
export function logLine(m: Pick<StoredMessage, 'sentAt' | 'peer' | 'sender' | 'text' | 'action'>): string {
  const text = printable(m.text);
  const body = m.action ? ` * ${m.sender} ${text}` : `<${m.sender}> ${text}`;
  return `${stamp(m.sentAt)} [${m.peer}] ${body}`;
}

/** `~/x` and relative names as a shell would take them, from the client's working directory. */
export const exportPath = (file: string): string => path.resolve(file.replace(/^~(?=$|\/)/, os.homedir()));

/**
 * Writes the messages to `file` (replacing it; readable only by you, as the history is) and returns
 * how many; a message to ourselves, kept as sent and as received, is written once.
 */
export function writeLog(file: string, messages: Iterable<StoredMessage>, me: string): number {
  const fd = fs.openSync(file, 'w', 0o600);
  fs.fchmodSync(fd, 0o600);
  let n = 0;
  try {
    const sent = new Set<number>();
    const lines: string[] = [];
    const flush = () => {
      if (lines.length > 0) fs.writeSync(fd, lines.join(''));
      lines.length = 0;
    };
    for (const m of messages) {
      if (m.own && m.clientId !== 0) sent.add(m.clientId);
      if (!m.own && m.sender === me && sent.has(m.clientId)) continue;
      lines.push(`${logLine(m)}\n`);
      n++;
      if (lines.length >= 500) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return n;
}
