/**
 * The PostgreSQL schema, as numbered migrations. Each runs once, in order, in one transaction with
 * the version row that records it; an advisory lock makes nodes that start at the same moment take
 * turns, so a migration never runs twice and no node sees half of one.
 */
import type pg from 'pg';
import { GROUP_MIGRATION } from './postgresGroupSchema.js';

/** Ids are handed to nodes in blocks this large (one sequence step). */
export const ID_BLOCK = 1024;
/** Message ids are u32 on the wire: the sequence stops below that. */
const ID_MAX = 2 ** 32 - 1 - ID_BLOCK;

/** Migration n is MIGRATIONS[n - 1]. Never edit one that has shipped: add the next. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    hash text NOT NULL,
    created_at bigint NOT NULL,
    deleted_at bigint
  );
  CREATE UNIQUE INDEX accounts_live_name ON accounts (name) WHERE deleted_at IS NULL;
  CREATE TABLE messages (
    id bigint PRIMARY KEY,
    recipient_id bigint NOT NULL,
    sender_id bigint NOT NULL,
    sent_at bigint NOT NULL,
    content text NOT NULL,
    client_id bigint NOT NULL,
    flags integer NOT NULL
  );
  CREATE INDEX messages_by_recipient ON messages (recipient_id, id);
  CREATE TABLE sends (
    sender_id bigint NOT NULL,
    client_id bigint NOT NULL,
    message_id bigint NOT NULL,
    recipient_id bigint NOT NULL,
    sent_at bigint NOT NULL,
    digest bigint,
    PRIMARY KEY (sender_id, client_id)
  );
  CREATE INDEX sends_by_time ON sends (sent_at);
  CREATE TABLE receipts (
    sender_id bigint NOT NULL,
    message_id bigint NOT NULL,
    PRIMARY KEY (sender_id, message_id)
  );
  CREATE SEQUENCE message_ids INCREMENT BY ${ID_BLOCK} MINVALUE 1 MAXVALUE ${ID_MAX} START 1;
  -- Leases and sessions need no durability: after a crash of the database every node binds its
  -- sessions again (UNLOGGED tables come back empty).
  CREATE UNLOGGED TABLE nodes (
    node_id uuid PRIMARY KEY,
    lease_until timestamptz NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE UNLOGGED TABLE presence (
    account_id bigint PRIMARY KEY,
    name text NOT NULL,
    node_id uuid NOT NULL,
    claim bigint NOT NULL
  );
  CREATE INDEX presence_by_node ON presence (node_id);
  CREATE INDEX presence_by_name ON presence (name);
  CREATE SEQUENCE session_claims;
  `,
  // 2: mailbox counts in the database, so the cap holds across nodes: a run of Sends locks its
  // recipients' rows (in id order: no deadlock) and stores only what fits; triggers keep the counts.
  `
  CREATE TABLE mailboxes (
    account_id bigint PRIMARY KEY,
    n integer NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0
  );
  INSERT INTO mailboxes (account_id, n, bytes)
    SELECT a.id, count(m.id), coalesce(sum(octet_length(m.content)), 0)
    FROM accounts a LEFT JOIN messages m ON m.recipient_id = a.id GROUP BY a.id;
  CREATE FUNCTION mailbox_opened() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO mailboxes (account_id) SELECT id FROM opened ON CONFLICT DO NOTHING;
    RETURN NULL;
  END $$;
  CREATE TRIGGER accounts_opened AFTER INSERT ON accounts REFERENCING NEW TABLE AS opened
    FOR EACH STATEMENT EXECUTE FUNCTION mailbox_opened();
  CREATE FUNCTION mailbox_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    PERFORM 1 FROM mailboxes WHERE account_id IN (SELECT recipient_id FROM added) ORDER BY account_id FOR UPDATE;
    UPDATE mailboxes b SET n = b.n + x.n, bytes = b.bytes + x.bytes
      FROM (SELECT recipient_id, count(*) AS n, sum(octet_length(content)) AS bytes FROM added GROUP BY recipient_id) x
      WHERE b.account_id = x.recipient_id;
    RETURN NULL;
  END $$;
  CREATE TRIGGER messages_added AFTER INSERT ON messages REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION mailbox_added();
  CREATE FUNCTION mailbox_taken() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    PERFORM 1 FROM mailboxes WHERE account_id IN (SELECT recipient_id FROM taken) ORDER BY account_id FOR UPDATE;
    UPDATE mailboxes b SET n = b.n - x.n, bytes = b.bytes - x.bytes
      FROM (SELECT recipient_id, count(*) AS n, sum(octet_length(content)) AS bytes FROM taken GROUP BY recipient_id) x
      WHERE b.account_id = x.recipient_id;
    RETURN NULL;
  END $$;
  CREATE TRIGGER messages_taken AFTER DELETE ON messages REFERENCING OLD TABLE AS taken
    FOR EACH STATEMENT EXECUTE FUNCTION mailbox_taken();
  `,
  // 3: the login throttle's counts, shared by every node (throttle.ts).
  `
  CREATE TABLE login_failures (
    key text PRIMARY KEY,
    n integer NOT NULL,
    last bigint NOT NULL,
    next bigint NOT NULL
  );
  CREATE TABLE known_addresses (
    account text NOT NULL,
    address text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (account, address)
  );
  CREATE TABLE registrations (
    address text NOT NULL,
    at bigint NOT NULL
  );
  CREATE INDEX registrations_by_address ON registrations (address, at);
  `,
  // 4: when each message was acknowledged, kept with its resend record: a node that may have missed
  // receipts (a gap in its wake-ups, a sender's connection that died) pushes them again from here.
  `
  ALTER TABLE sends ADD COLUMN acked_at bigint;
  CREATE INDEX sends_acked ON sends (sender_id, acked_at) WHERE acked_at IS NOT NULL;
  `,
  // 5: group conversations (postgresGroups.ts).
  GROUP_MIGRATION,
];

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the schema if needed and brings it to the newest version; safe when several nodes run it
 * at once. Returns the version it found.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number> {
  await client.query('BEGIN');
  try {
    // One lock for every termchat schema of the database: creating the schema itself races too.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('termchat migrations'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query(`SET LOCAL search_path TO ${ident(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const found = r.rows[0]?.v ?? 0;
    if (found > MIGRATIONS.length) {
      throw new Error(`the database schema is at version ${found}, newer than this termchat-server knows (${MIGRATIONS.length}): upgrade the server`);
    }
    for (let v = found + 1; v <= MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v - 1]!);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
    }
    await client.query('COMMIT');
    return found;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** `*` and `?` (the only wildcards a pattern may hold) as LIKE's `%` and `_`; the rest literal. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%').replace(/\?/g, '_');
}
