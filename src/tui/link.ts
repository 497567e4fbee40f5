/**
 * The link to the server as the session sees it: the client it uses, when an error means "the link
 * went away", and how long to wait before trying again.
 */
import type { ChatClient } from '../protocol/client.js';
import type { ServerAddress } from './servers.js';

/** The part of ChatClient the TUI uses. */
export type ClientLike = Pick<
  ChatClient,
  | 'register'
  | 'login'
  | 'listAccounts'
  | 'send'
  | 'fetch'
  | 'ack'
  | 'deleteAccount'
  | 'watch'
  | 'ping'
  | 'close'
  | 'on'
  | 'removeAllListeners'
  // Groups (groups.ts).
  | 'createGroup'
  | 'joinGroup'
  | 'leaveGroup'
  | 'inviteToGroup'
  | 'kickFromGroup'
  | 'listGroups'
  | 'listMembers'
>;

/** Opens a connection to one server of the list. */
export type Connect = (server: ServerAddress) => Promise<ClientLike>;

/** Waits between reconnect attempts (and retries of a refused send), in ms; the last one repeats. */
export const BACKOFF = [100, 250, 500, 1000, 2000, 4000, 5000];

/** The wait before attempt `n` (0 = the first retry). */
export const backoff = (n: number): number => BACKOFF[Math.min(n, BACKOFF.length - 1)]!;

/** Errors meaning "the link went away", after which a request is retried rather than reported. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'CONNECTION_CLOSED' || code === 'SHUTTING_DOWN' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** A sentence for the user from any rejection. */
export const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
