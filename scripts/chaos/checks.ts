/**
 * The promises, checked from the ledger once the run has settled. Each check gives a row (ok, FAIL,
 * or note for what is allowed but worth seeing) with its counts, and a few examples of each failure
 * so that a run can be read without re-running it.
 */
import { keyOf, type Delivery, type Fault, type Ledger, type Sent, type Session } from './ledger.js';

export interface Row {
  check: string;
  status: 'ok' | 'FAIL' | 'note';
  counts: string;
  examples: string[];
}

export interface Bounds {
  /** A message for a recipient whose session lasts this long after its Accepted is pushed within it (ms). */
  live: number;
  /** Service: time after a fault ends during which a client may still be catching up (ms). */
  recovery: number;
  /** Service: the longest time a client may go unserved outside faults and their recovery (ms). */
  gapSlack: number;
  /** A node's resident memory at any sample (MiB). */
  rssMiB: number;
}

export interface RunFacts {
  ledger: Ledger;
  /** Start of the fault phase; service is measured from here. */
  t0: number;
  /** client -> its transport. */
  kinds: Map<string, string>;
  /** client -> when it had caught up in the settle (logged in, outbox empty); missing: never. */
  doneAt: Map<string, number>;
  end: number;
  nodes: Array<{ name: string; maxRss: number; samples: number; crashes: Array<{ at: number; how: string }> }>;
  bounds: Bounds;
}

const MAX_EXAMPLES = 5;
const row = (check: string, bad: number, counts: string, examples: string[], note = false): Row => ({
  check,
  status: bad > 0 ? (note ? 'note' : 'FAIL') : 'ok',
  counts,
  examples: examples.slice(0, MAX_EXAMPLES),
});

/** The first delivery of each (sender, clientId) to each recipient. */
function firstDeliveries(l: Ledger): Map<string, Delivery> {
  const first = new Map<string, Delivery>();
  for (const [recipient, list] of l.deliveries) {
    for (const d of list) {
      const k = `${recipient}\0${keyOf(d.sender, d.clientId)}`;
      if (!first.has(k)) first.set(k, d);
    }
  }
  return first;
}

export function check(f: RunFacts): Row[] {
  const l = f.ledger;
  const rel = (t: number | undefined) => (t === undefined ? '-' : `${((t - f.t0) / 1000).toFixed(1)}s`);
  const desc = (s: Sent) => `${s.sender}->${s.recipient} #${s.seq} (clientId ${s.clientId}, id ${s.acceptedId}, accepted at ${rel(s.acceptedAt)})`;
  const tries = (x: Sent) => (x.tries.length > 1 ? `; sent ${x.tries.map((a) => `${rel(a.at)}${a.resend ? ' RESEND' : ''} -> ${a.answer}`).join(', ')}` : '');
  const first = firstDeliveries(l);
  const firstOf = (s: Sent) => first.get(`${s.recipient}\0${keyOf(s.sender, s.clientId)}`);
  const accepted = [...l.sent.values()].filter((s) => s.acceptedId !== undefined);
  const rows: Row[] = [];

  // 1. Every Accepted message reached its recipient's client, with the content sent.
  const missing = accepted.filter((s) => !firstOf(s));
  let deliveries = 0;
  const phantoms: string[] = [];
  const corrupt: string[] = [];
  for (const [recipient, list] of l.deliveries) {
    for (const d of list) {
      deliveries++;
      const s = l.sent.get(keyOf(d.sender, d.clientId));
      if (!s || s.recipient !== recipient) phantoms.push(`${recipient} got id ${d.id} from ${d.sender} clientId ${d.clientId} that was never sent to it`);
      else if (s.content !== d.content) corrupt.push(`${recipient} got id ${d.id} (${desc(s)}) with other content: "${d.content}"`);
    }
  }
  rows.push(row('every Accepted message delivered', missing.length, `${accepted.length} accepted, ${missing.length} never delivered`, missing.map(desc)));
  rows.push(row('nothing delivered that was not sent, content intact', phantoms.length + corrupt.length, `${deliveries} deliveries, ${phantoms.length} unknown, ${corrupt.length} altered`, [...phantoms, ...corrupt]));

  // 2. Exactly once after de-duplication: repeats are recognisable (same sender and clientId) and one id names one message.
  let sameId = 0;
  let newId = 0;
  const reused: string[] = [];
  for (const [recipient, list] of l.deliveries) {
    const byId = new Map<number, string>();
    const idsOf = new Map<string, Set<number>>();
    for (const d of list) {
      const k = keyOf(d.sender, d.clientId);
      const other = byId.get(d.id);
      if (other !== undefined && other !== k) reused.push(`${recipient}: id ${d.id} named two messages`);
      byId.set(d.id, k);
      if (!d.repeat) continue;
      const ids = idsOf.get(k) ?? new Set();
      if (ids.size > 0 && !ids.has(d.id)) newId++;
      else sameId++;
      ids.add(d.id);
      idsOf.set(k, ids);
    }
  }
  rows.push(row('exactly once after de-duplication by (sender, clientId)', reused.length, `${sameId} redeliveries under the same id, ${newId} under a new id, ${reused.length} ids reused`, reused));
  const failed = [...l.sent.values()].filter((s) => s.failed);
  const conflicts = l.idConflicts.length;
  rows.push(row('one Accepted id per message', conflicts, `${conflicts} messages Accepted under two ids`, l.idConflicts, true));

  // 3. In order per sender->recipient: the ids the recipient first saw follow the order they were written.
  const pairs = new Map<string, Sent[]>();
  for (const s of accepted) {
    const k = `${s.sender}>${s.recipient}`;
    pairs.set(k, [...(pairs.get(k) ?? []), s]);
  }
  const unexplained: string[] = [];
  const explained: string[] = [];
  for (const list of pairs.values()) {
    list.sort((a, b) => a.seq - b.seq);
    let prev: { s: Sent; id: number } | undefined;
    for (const s of list) {
      const d = firstOf(s);
      if (!d) continue;
      if (prev && d.id < prev.id) {
        // Allowed only when this one was already written (possibly on the wire, pipelined) when the
        // earlier one was refused retryably: the node refused one and stored the next.
        const seen = (x: Sent, y: Delivery) => `#${x.seq} (accepted as ${x.acceptedId}, first seen as ${y.id} by ${y.via} at ${rel(y.at)}${tries(x)})`;
        const why = `${s.sender}->${s.recipient} ${seen(s, d)} shown before ${seen(prev.s, firstOf(prev.s)!)}`;
        const refused = prev.s.firstRefusedAt;
        if (refused !== undefined && s.createdAt <= refused) explained.push(`${why}; #${prev.s.seq} was refused ${JSON.stringify(prev.s.refusals)} first`);
        else {
          // The usual cause: this one was pushed before a commit that then failed, under an id the store never kept.
          const ghost = d.id !== s.acceptedId ? ` [#${s.seq} was pushed as ${d.id} before a commit that did not keep it]` : '';
          unexplained.push(refused === undefined ? `${why}${ghost}` : `${why}, written ${((s.createdAt - refused) / 1000).toFixed(1)} s after #${prev.s.seq} was refused${ghost}`);
        }
      }
      if (!prev || d.id > prev.id) prev = { s, id: d.id };
    }
  }
  rows.push(row('in order per sender->recipient', unexplained.length, `${pairs.size} pairs, ${unexplained.length} out of order`, unexplained));
  rows.push(row('  out of order: pipelined behind a retryable refusal', explained.length, `${explained.length} (written before the earlier one was refused)`, explained, true));

  // 4. Live push: a recipient online throughout is pushed what is accepted for it, not left to a later fetch.
  const sessions = new Map<string, Session[]>();
  for (const s of l.sessions) sessions.set(s.client, [...(sessions.get(s.client) ?? []), s]);
  const onlineThrough = (client: string, from: number, to: number) =>
    (sessions.get(client) ?? []).some((s) => s.start <= from && (s.end ?? Infinity) >= to);
  let livable = 0;
  const late: string[] = [];
  for (const s of accepted) {
    if (!onlineThrough(s.recipient, s.acceptedAt!, s.acceptedAt! + f.bounds.live)) continue;
    livable++;
    const d = firstOf(s);
    if (!d || d.at > s.acceptedAt! + f.bounds.live) late.push(`${desc(s)}: ${d ? `${d.via === 'fetch' ? 'fetched' : 'pushed'} at ${rel(d.at)}` : 'never'}`);
  }
  rows.push(row(`pushed live within ${f.bounds.live / 1000} s to a recipient online throughout`, late.length, `${livable} such messages, ${late.length} not pushed in time`, late));

  // 5. Receipts: every acknowledged message's Delivered reached its sender.
  let ackedCount = 0;
  const noReceipt: Record<string, string[]> = { tcp: [], grpc: [] };
  for (const s of accepted) {
    const ackAt = l.acked.get(s.recipient)?.get(s.acceptedId!);
    if (ackAt === undefined) continue;
    ackedCount++;
    if (l.receipts.get(s.sender)?.has(s.acceptedId!)) continue;
    const kind = f.kinds.get(s.sender) ?? 'tcp';
    const online = onlineThrough(s.sender, ackAt, ackAt + f.bounds.live) ? 'sender online throughout' : 'sender offline or reconnecting';
    (noReceipt[kind] ??= []).push(`${desc(s)} acknowledged at ${rel(ackAt)}, ${online}`);
  }
  for (const kind of ['tcp', 'grpc']) {
    const list = noReceipt[kind]!;
    const senders = [...f.kinds.values()].filter((k) => k === kind).length;
    if (senders === 0) continue;
    const online = list.filter((x) => x.endsWith('online throughout')).length;
    rows.push(row(`receipts reach ${kind} senders`, list.length, `${ackedCount} acknowledged in all, ${list.length} without receipt (${online} with the sender online throughout)`, list));
  }

  // 6. Service: nobody goes unserved (no LoginOk, no Accepted) beyond the faults that can hit it.
  rows.push(serviceRow(f));

  // 7. Refusals a client cannot act on, and unexpected takeovers.
  const codes: Record<string, number> = {};
  for (const s of failed) codes[s.failed!] = (codes[s.failed!] ?? 0) + 1;
  const retryable = Object.values(l.loginRefusals).reduce((a, b) => a + b, 0);
  rows.push(row('no Send refused for good', failed.length, `${failed.length} refused ${JSON.stringify(codes)}`, failed.map((s) => `${desc(s)}: ${s.failed}`)));
  rows.push(row('logins refused (then retried)', retryable, JSON.stringify(l.loginRefusals), [], true));
  rows.push(row('no session taken over unasked', l.takeovers, `${l.takeovers} LoggedInElsewhere on a live link`, []));

  // 8. Nodes: memory within budget, no death nobody caused.
  for (const n of f.nodes) {
    const over = n.maxRss > f.bounds.rssMiB ? 1 : 0;
    rows.push(row(`${n.name} RSS <= ${f.bounds.rssMiB} MiB`, over, `max ${n.maxRss.toFixed(0)} MiB over ${n.samples} samples`, []));
    rows.push(row(`${n.name} alive unless killed`, n.crashes.length, `${n.crashes.length} unexpected exits`, n.crashes.map((c) => `${c.how} at ${rel(c.at)}`)));
  }
  return rows;
}

/** The longest time each client went unserved, less what faults (and their recovery) explain. */
function serviceRow(f: RunFacts): Row {
  const l = f.ledger;
  let worst = { client: '', gap: 0, unexcused: 0, from: 0 };
  const bad: string[] = [];
  for (const client of f.kinds.keys()) {
    const done = f.doneAt.get(client) ?? f.end;
    const times = [f.t0, ...(l.served.get(client) ?? []).filter((t) => t > f.t0 && t < done), done];
    const windows = l.faults
      .filter((x: Fault) => !x.clients || x.clients.includes(client))
      .map((x) => [x.start, x.end + f.bounds.recovery] as const);
    for (let i = 1; i < times.length; i++) {
      const a = times[i - 1]!;
      const b = times[i]!;
      const unexcused = b - a - covered(windows, a, b);
      if (unexcused > worst.unexcused) worst = { client, gap: b - a, unexcused, from: a };
      if (unexcused > f.bounds.gapSlack) bad.push(`${client} unserved ${((b - a) / 1000).toFixed(1)} s from ${((a - f.t0) / 1000).toFixed(1)}s, ${(unexcused / 1000).toFixed(1)} s of it outside any fault`);
    }
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return row(
    `no client unserved > ${s(f.bounds.gapSlack)} beyond faults + ${s(f.bounds.recovery)}`,
    bad.length,
    `worst: ${worst.client || '-'} ${s(worst.unexcused)} unexplained (a gap of ${s(worst.gap)})`,
    bad,
  );
}

/** How much of [a, b] the union of the windows covers. */
function covered(windows: ReadonlyArray<readonly [number, number]>, a: number, b: number): number {
  const parts = windows
    .map(([s, e]) => [Math.max(s, a), Math.min(e, b)] as const)
    .filter(([s, e]) => e > s)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = a;
  for (const [s, e] of parts) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

/** The table, as printed. */
export function format(rows: Row[]): string {
  const w = Math.max(...rows.map((r) => r.check.length));
  const lines = rows.map((r) => `${r.status.padEnd(4)}  ${r.check.padEnd(w)}  ${r.counts}`);
  for (const r of rows.filter((x) => x.status !== 'ok' && x.examples.length > 0)) {
    lines.push('', `${r.status} ${r.check.trim()}, e.g.:`, ...r.examples.map((e) => `  ${e}`));
  }
  return lines.join('\n');
}
