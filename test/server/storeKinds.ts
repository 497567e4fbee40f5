/** Every Store kind the conformance suites run against, and how a test opens one (closed and dropped after it). */
import type { ExecutionContext } from 'ava';
import { MemoryStore } from '../../src/server/store/memory.js';
import { dropSchema, PostgresStore } from '../../src/server/store/postgres.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import type { Op, Store } from '../../src/server/store/store.js';
import { removeDir, tempDir } from './helpers.js';
import { pgMissing, schemaUrl } from './pg.js';

export interface Kind {
  name: string;
  durable: boolean;
  /** `where`: a data directory, or for PostgreSQL a URL naming the test's own schema. */
  make(where: string): Store;
  where(): string;
  drop(where: string): Promise<void>;
}

export const KINDS: Kind[] = [
  { name: 'sqlite', durable: true, make: (dir) => new SqliteStore({ dataDir: dir }), where: tempDir, drop: async (dir) => removeDir(dir) },
  { name: 'memory', durable: false, make: () => new MemoryStore(), where: () => '', drop: async () => {} },
];
// PostgreSQL joins the suites where it can be reached (pg.ts says how it is skipped or required).
if ((await pgMissing) === undefined) {
  KINDS.push({ name: 'postgres', durable: true, make: (url) => new PostgresStore({ url }), where: schemaUrl, drop: dropSchema });
}

export async function open(t: ExecutionContext, kind: Kind, where = kind.where()): Promise<Store> {
  const s = kind.make(where);
  await s.open();
  t.teardown(async () => {
    await s.close();
    await kind.drop(where);
  });
  return s;
}

/** Runs one operation and returns its value (fails the test on an error result). */
export async function one<T>(s: Store, op: Op): Promise<T> {
  const [r] = await s.run([op]);
  if (!r!.ok) throw new Error(r!.error);
  return r!.value as T;
}
