/** Tab completion: the name before the cursor, and the names known here that it may complete to. */
import { wordAt, type Line } from './lineEdit.js';
import type { State } from './state/index.js';

/** The name being typed just before the cursor ('' when none). */
export const nameBeforeCursor = (line: Line): string => wordAt(line).word;

/** Names known without asking the server: open conversations, people in the latest messages, the users page on screen. */
export function completionNames(s: State): string[] {
  const names = new Set<string>(s.convs.open);
  for (const n of s.users.names) names.add(n);
  // The most recent senders and recipients, without walking a long history.
  const entries = s.convs.entries;
  for (let i = entries.length - 1; i >= 0 && i >= entries.length - 500; i--) {
    names.add(entries[i]!.peer);
    // In a group's window, its members who wrote.
    names.add(entries[i]!.sender);
  }
  if (s.me) names.delete(s.me);
  return [...names];
}
