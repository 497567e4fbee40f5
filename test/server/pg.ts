/**
 * PostgreSQL for the tests: each test gets a schema of its own (dropped afterwards), so runs never
 * interfere. Where PostgreSQL cannot be reached the tests that need it are skipped with one line,
 * unless TERMCHAT_TEST_PG_REQUIRED=1 (CI sets it): then they fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import test, { type ExecutionContext } from 'ava';
import { dropSchema } from '../../src/server/store/postgres.js';

/** The database the tests use (TERMCHAT_TEST_PG overrides). */
export const PG_BASE = process.env['TERMCHAT_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRED = process.env['TERMCHAT_TEST_PG_REQUIRED'] === '1';

async function reachable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Why PostgreSQL is not usable here, or undefined when it is. Fails the test file when it is required. */
export const pgMissing: Promise<string | undefined> = reachable().then((why) => {
  if (why !== undefined) {
    if (REQUIRED) throw new Error(`PostgreSQL is required (TERMCHAT_TEST_PG_REQUIRED=1) but ${PG_BASE} is not reachable: ${why}`);
    console.log(`# skipping PostgreSQL tests: ${PG_BASE} not reachable (${why}); start PostgreSQL or set TERMCHAT_TEST_PG`);
  }
  return why;
});

/** A fresh schema's URL, dropped when the test ends. */
export function freshSchema(t: ExecutionContext): string {
  const url = schemaUrl();
  t.teardown(() => dropSchema(url).catch(() => undefined));
  return url;
}

/** A URL naming a new schema (not created yet; the store creates it). */
export function schemaUrl(): string {
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', `tc_test_${process.pid}_${randomBytes(4).toString('hex')}`);
  return u.toString();
}

/** ava's test, skipped (with the line above) where PostgreSQL is missing and not required. */
export async function pgTest(): Promise<typeof test | typeof test.skip> {
  return (await pgMissing) === undefined ? test : test.skip;
}
