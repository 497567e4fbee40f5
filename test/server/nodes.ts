/** Real termchat-server nodes on one PostgreSQL schema for the scale-out tests, and clients of them (all closed after the test). */
import type { ExecutionContext } from 'ava';
import { ChatClient } from '../../src/protocol/client.js';
import { exited, PASSWORD, removeDir, spawnServer, tempDir, type ChildServer } from './helpers.js';
import { freshSchema } from './pg.js';

/** Short leases, so a killed node's sessions go quickly. */
export const LEASE_MS = '1500';

/** `n` nodes on `url` (a fresh schema by default), started together: the schema is migrated once, whoever comes first. */
export async function nodes(t: ExecutionContext, n: number, url = freshSchema(t), leaseMs = LEASE_MS, extra: string[] = []): Promise<ChildServer[]> {
  const dir = tempDir();
  const out = await Promise.all(Array.from({ length: n }, () => spawnServer(dir, ['--store', url, '--lease-ms', leaseMs, ...extra])));
  t.teardown(async () => {
    for (const s of out) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGTERM');
        await exited(s.child);
      }
    }
    removeDir(dir);
  });
  return out;
}

export async function client(t: ExecutionContext, node: ChildServer): Promise<ChatClient> {
  const c = await ChatClient.connect({ port: node.port });
  t.teardown(() => c.close());
  return c;
}

/** A client of a freshly registered, logged-in account on `node`. */
export async function user(t: ExecutionContext, node: ChildServer, name: string): Promise<ChatClient> {
  const c = await client(t, node);
  await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  return c;
}
