/**
 * The servers the client may use (`--server a:7878,b:7879`): parsed once, tried in turn. Several
 * servers are nodes of one service (sharing one database); the client is on one at a time.
 */
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_SERVER = `${DEFAULT_HOST}:${DEFAULT_PORT}`;

/** "host:port" as people write it; an IPv6 host in brackets. */
export const formatServer = (a: ServerAddress): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * The name of a list of servers (for the history file): the nodes of one installation in any order
 * are one name (sorted), and one server keeps its old name.
 */
export const serversName = (list: readonly ServerAddress[]): string => list.map(formatServer).sort().join(',');

/** "host:port", "[v6]:port" or a bare port (meaning 127.0.0.1) -> parts; throws a sentence naming the entry. */
export function parseServer(entry: string): ServerAddress {
  const s = entry.trim();
  if (s === '') throw new Error('an empty entry: write HOST:PORT');
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]\s]*)):)?(\d+)$/.exec(s);
  if (!m) throw new Error(`"${s}" is not HOST:PORT`);
  const port = Number(m[3]);
  if (!(port > 0 && port < 65536)) throw new Error(`"${s}": the port must be from 1 to 65535`);
  return { host: m[1] ?? (m[2] || DEFAULT_HOST), port };
}

/** A comma-separated list of servers, in the order to try them; repeats are dropped. Throws a sentence naming the bad entry. */
export function parseServerList(list: string): ServerAddress[] {
  const out: ServerAddress[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of list.split(',').entries()) {
    let a: ServerAddress;
    try {
      a = parseServer(entry);
    } catch (err) {
      throw new Error(`server ${i + 1} of "${list}": ${(err as Error).message}`);
    }
    const name = formatServer(a);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(a);
  }
  return out;
}
