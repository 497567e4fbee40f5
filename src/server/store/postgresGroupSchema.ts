/**
 * PostgreSQL migration 5: group conversations (the rules are in groupOps.ts). The two hot
 * operations, storing a group message and acknowledging group messages, are functions run in one
 * round trip each. A message is one row; a membership keeps its position (no index on it, so moving
 * it is a HOT update); a group's row lock orders its messages, so their sequence numbers follow the
 * order they commit in, on every node.
 */
export const GROUP_MIGRATION = `
  CREATE TABLE chat_groups (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    owner_id bigint NOT NULL,
    invite_only boolean NOT NULL,
    created_at bigint NOT NULL,
    last_seq bigint NOT NULL DEFAULT 0,
    total_bytes bigint NOT NULL DEFAULT 0,
    joins bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE group_members (
    group_id bigint NOT NULL,
    account_id bigint NOT NULL,
    joined bigint NOT NULL,
    pos bigint NOT NULL,
    pos_bytes bigint NOT NULL,
    PRIMARY KEY (group_id, account_id)
  );
  CREATE INDEX group_members_by_account ON group_members (account_id);
  CREATE TABLE group_invites (
    group_id bigint NOT NULL,
    account_id bigint NOT NULL,
    PRIMARY KEY (group_id, account_id)
  );
  CREATE TABLE group_messages (
    id bigint PRIMARY KEY,
    group_id bigint NOT NULL,
    seq bigint NOT NULL,
    sender_id bigint NOT NULL,
    client_id bigint NOT NULL,
    flags integer NOT NULL,
    sent_at bigint NOT NULL,
    cum_bytes bigint NOT NULL,
    content text NOT NULL
  );
  CREATE UNIQUE INDEX group_messages_by_seq ON group_messages (group_id, seq);
  CREATE TABLE group_acks (
    group_id bigint NOT NULL,
    account_id bigint NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (group_id, account_id, seq)
  );

  -- Stores a message sent to a group, unless it is refused: status noSuchGroup, notMember,
  -- duplicate (dup: the first message's id), reused, full, or stored (recipients: the other members;
  -- elsewhere: those of them online on another node than p_node).
  CREATE FUNCTION group_insert(p_id bigint, p_group text, p_sender bigint, p_cid bigint, p_flags integer, p_sent bigint,
      p_content text, p_digest bigint, p_since bigint, p_max_n bigint, p_max_bytes bigint, p_node uuid,
      OUT status text, OUT dup bigint, OUT recipients bigint[], OUT elsewhere bigint[])
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    g chat_groups%ROWTYPE;
    prev record;
    fl record;
    total bigint;
  BEGIN
    SELECT * INTO g FROM chat_groups WHERE name = p_group FOR UPDATE;
    IF NOT FOUND THEN status := 'noSuchGroup'; RETURN; END IF;
    PERFORM 1 FROM group_members WHERE group_id = g.id AND account_id = p_sender;
    IF NOT FOUND THEN status := 'notMember'; RETURN; END IF;
    IF p_cid <> 0 THEN
      SELECT message_id, recipient_id, digest, sent_at INTO prev FROM sends WHERE sender_id = p_sender AND client_id = p_cid FOR UPDATE;
      IF FOUND AND prev.sent_at >= p_since THEN
        IF prev.recipient_id = -g.id AND (prev.digest IS NULL OR prev.digest = p_digest) THEN
          status := 'duplicate';
          dup := prev.message_id;
        ELSE
          status := 'reused';
        END IF;
        RETURN;
      END IF;
    END IF;
    SELECT pos, pos_bytes INTO fl FROM group_members WHERE group_id = g.id ORDER BY pos LIMIT 1;
    total := g.total_bytes + octet_length(p_content);
    IF g.last_seq + 1 - fl.pos > p_max_n OR total - fl.pos_bytes > p_max_bytes THEN status := 'full'; RETURN; END IF;
    UPDATE chat_groups SET last_seq = g.last_seq + 1, total_bytes = total WHERE id = g.id;
    INSERT INTO group_messages (id, group_id, seq, sender_id, client_id, flags, sent_at, cum_bytes, content)
      VALUES (p_id, g.id, g.last_seq + 1, p_sender, p_cid, p_flags, p_sent, total, p_content);
    IF p_cid <> 0 THEN
      INSERT INTO sends AS x (sender_id, client_id, message_id, recipient_id, sent_at, digest)
        VALUES (p_sender, p_cid, p_id, -g.id, p_sent, p_digest)
        ON CONFLICT (sender_id, client_id) DO UPDATE SET message_id = excluded.message_id, recipient_id = excluded.recipient_id,
          sent_at = excluded.sent_at, digest = excluded.digest, acked_at = NULL;
    END IF;
    -- A sender with nothing left to read has its own message too.
    UPDATE group_members SET pos = g.last_seq + 1, pos_bytes = total WHERE group_id = g.id AND account_id = p_sender AND pos = g.last_seq;
    recipients := ARRAY(SELECT account_id FROM group_members WHERE group_id = g.id AND account_id <> p_sender);
    elsewhere := ARRAY(
      SELECT m.account_id FROM group_members m JOIN presence p ON p.account_id = m.account_id
      WHERE m.group_id = g.id AND m.account_id <> p_sender AND p.node_id <> p_node);
    status := 'stored';
  END $$;

  -- Acknowledges, of p_ids, the group messages waiting for p_account: returns each with its sender
  -- and whether that sender is online on another node than p_node (to be told its delivery count).
  CREATE FUNCTION group_ack(p_account bigint, p_ids bigint[], p_node uuid)
    RETURNS TABLE (acked_id bigint, acked_sender bigint, away boolean)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    gid bigint;
    cur bigint;
    fresh bigint[];
    gap bigint;
    newpos bigint;
    newbytes bigint;
  BEGIN
    FOR gid IN SELECT DISTINCT gm.group_id FROM group_messages gm WHERE gm.id = ANY(p_ids) ORDER BY 1 LOOP
      SELECT m.pos INTO cur FROM group_members m WHERE m.group_id = gid AND m.account_id = p_account FOR UPDATE;
      CONTINUE WHEN NOT FOUND;
      fresh := ARRAY(
        SELECT gm.seq FROM group_messages gm
        WHERE gm.group_id = gid AND gm.id = ANY(p_ids) AND gm.sender_id <> p_account AND gm.seq > cur
          AND NOT EXISTS (SELECT 1 FROM group_acks k WHERE k.group_id = gid AND k.account_id = p_account AND k.seq = gm.seq));
      CONTINUE WHEN cardinality(fresh) = 0;
      RETURN QUERY
        SELECT gm.id, gm.sender_id, EXISTS (SELECT 1 FROM presence p WHERE p.account_id = gm.sender_id AND p.node_id <> p_node)
        FROM group_messages gm WHERE gm.group_id = gid AND gm.seq = ANY(fresh);
      -- The position moves over what is acknowledged and what the member sent, up to the first gap;
      -- only acknowledgements beyond that gap are written down.
      SELECT gm.seq INTO gap FROM group_messages gm
      WHERE gm.group_id = gid AND gm.seq > cur AND gm.sender_id <> p_account AND gm.seq <> ALL(fresh)
        AND NOT EXISTS (SELECT 1 FROM group_acks k WHERE k.group_id = gid AND k.account_id = p_account AND k.seq = gm.seq)
      ORDER BY gm.seq LIMIT 1;
      IF gap IS NULL THEN
        SELECT gm.seq, gm.cum_bytes INTO newpos, newbytes FROM group_messages gm WHERE gm.group_id = gid ORDER BY gm.seq DESC LIMIT 1;
      ELSE
        SELECT gm.seq, gm.cum_bytes INTO newpos, newbytes FROM group_messages gm WHERE gm.group_id = gid AND gm.seq < gap ORDER BY gm.seq DESC LIMIT 1;
      END IF;
      newpos := greatest(coalesce(newpos, cur), cur);
      INSERT INTO group_acks (group_id, account_id, seq) SELECT gid, p_account, s FROM unnest(fresh) AS s WHERE s > newpos ON CONFLICT DO NOTHING;
      IF newpos > cur THEN
        UPDATE group_members SET pos = newpos, pos_bytes = newbytes WHERE group_id = gid AND account_id = p_account;
        DELETE FROM group_acks WHERE group_id = gid AND account_id = p_account AND seq <= newpos;
        DELETE FROM group_messages WHERE group_id = gid AND seq <= (SELECT min(pos) FROM group_members WHERE group_id = gid);
      END IF;
    END LOOP;
  END $$;
`;
