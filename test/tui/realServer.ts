/**
 * The TUI's tests run against the real server: ChatService on the in-memory store, in this
 * process, reached over loopback TCP through a Tap (see tap.ts) that makes faults for real.
 * Other users are real ChatClients connected straight to the server.
 */
import type { ExecutionContext } from 'ava';
import { ChatClient } from '../../src/protocol/client.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { ClientLike, Connect } from '../../src/tui/session.js';
import type { ServerAddress } from '../../src/tui/servers.js';
import { TEST_COST } from '../server/helpers.js';
import { Tap } from '../lib/tap.js';

export const PASSWORD = 'pw';

export interface RealServer {
  server: RunningServer;
  tap: Tap;
  /** The TUI's server list: the tap in front of the server. */
  servers: readonly ServerAddress[];
  /** How the TUI connects: a real ChatClient to the address it is given. */
  connect: Connect;
  /** The TUI's connections so far, in order. */
  clients: ChatClient[];
  /** A round trip on the TUI's latest connection: whatever it wrote before has passed the tap. */
  settle(): Promise<void>;
  /** Creates accounts (password `pw` unless given). */
  account(...names: string[]): Promise<void>;
  /** A direct client logged in as `name` (the account is created if missing); kept for later calls. */
  user(name: string, password?: string): Promise<ChatClient>;
  /** `from` sends a message to `to` over its own connection; resolves with the message id. */
  deliver(from: string, to: string, content: string, opts?: { clientId?: number; flags?: number }): Promise<number>;
  /** The store's accounts, by name. */
  accounts(): Promise<string[]>;
  /** Messages waiting in the store for `name` (stored and not acknowledged). */
  waiting(name: string): Promise<number>;
}

/** Starts a memory-store server and a tap in front of it; both stop when the test ends. */
export async function realServer(t: ExecutionContext, opts: Partial<ServerOptions> = {}): Promise<RealServer> {
  const store = new MemoryStore();
  const server = await startServer({ port: 0, store, scryptCost: TEST_COST, connections: { authTimeoutMs: 0 }, ...opts });
  const tap = await Tap.start({ host: '127.0.0.1', port: server.port });
  const clients: ChatClient[] = [];
  const users = new Map<string, ChatClient>();
  const known = new Set<string>();
  const direct = () => ChatClient.connect({ port: server.port });
  t.teardown(async () => {
    for (const c of [...clients, ...users.values()]) c.removeAllListeners('close');
    await Promise.all([...users.values(), ...clients].map((c) => c.close()));
    await tap.close();
    await server.close();
  });
  const account = async (...names: string[]) => {
    const c = await direct();
    try {
      for (const n of names) {
        await c.register(n, PASSWORD);
        known.add(n);
      }
    } finally {
      await c.close();
    }
  };
  const user = async (name: string, password = PASSWORD) => {
    const had = users.get(name);
    if (had?.isOpen) return had;
    const c = await direct();
    if (!known.has(name)) {
      // Created here, unless the TUI registered it already.
      await c.register(name, password).catch((err: { code?: unknown }) => {
        if (err.code !== 'USERNAME_TAKEN') throw err;
      });
      known.add(name);
    }
    await c.login(name, password);
    users.set(name, c);
    return c;
  };
  const view = () => store.open(); // MemoryStore.open() only reads: the store's own account and queue view
  return {
    server,
    tap,
    servers: [tap.address],
    clients,
    settle: async () => {
      const c = clients.at(-1);
      if (!c) throw new Error('the TUI has not connected');
      await c.ping();
    },
    connect: async (a: ServerAddress): Promise<ClientLike> => {
      const c = await ChatClient.connect(a);
      clients.push(c);
      return c;
    },
    account,
    user,
    async deliver(from, to, content, o = {}) {
      const c = await user(from);
      return c.send(to, content, o.clientId ?? c.newClientId(), o.flags ?? 0);
    },
    async accounts() {
      return (await view()).accounts.map(([name]) => name).sort();
    },
    async waiting(name) {
      const s = await view();
      const id = s.accounts.find(([n]) => n === name)?.[1];
      return s.queues.find(([a]) => a === id)?.[1] ?? 0;
    },
  };
}
