/**
 * The quiet end of a run: no more faults or new messages. Every client reconnects, sends what its
 * outbox holds, fetches and acknowledges what waits; then the run waits for the receipts of what was
 * acknowledged. Nothing here decides pass or fail: it only gives every promise its chance.
 */
import type { ChaosClient } from './client.js';
import type { Ledger } from './ledger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Receipts may trail the last Ack by a round trip or two; wait this long at most for them. */
const RECEIPT_WAIT_MS = 10_000;
/** A drain pass that finds nothing, then this much quiet, then another that finds nothing: settled. */
const QUIET_MS = 3000;

/** Resolves with when each client had caught up (logged in, outbox empty). */
export async function settle(clients: ChaosClient[], ledger: Ledger, maxMs: number, log: (line: string) => void): Promise<Map<string, number>> {
  const deadline = Date.now() + maxMs;
  const doneAt = new Map<string, number>();
  while (Date.now() < deadline) {
    for (const c of clients) if (!doneAt.has(c.name) && c.isLoggedIn && c.outboxSize === 0) doneAt.set(c.name, Date.now());
    if (doneAt.size === clients.length) break;
    await sleep(50);
  }
  const behind = clients.filter((c) => !doneAt.has(c.name));
  if (behind.length > 0) log(`settle: not caught up: ${behind.map((c) => `${c.name} (outbox ${c.outboxSize}, ${c.isLoggedIn ? 'logged in' : 'not logged in'})`).join(', ')}`);
  // Fetch until two passes a quiet interval apart find nothing.
  let quietPasses = 0;
  while (Date.now() < deadline && quietPasses < 2) {
    const got = (await Promise.all(clients.map((c) => c.drain()))).reduce((a, b) => a + b, 0);
    log(`settle: drain pass fetched ${got}`);
    quietPasses = got === 0 ? quietPasses + 1 : 0;
    if (quietPasses < 2) await sleep(QUIET_MS);
  }
  const until = Math.min(deadline, Date.now() + RECEIPT_WAIT_MS);
  while (Date.now() < until && missingReceipts(ledger) > 0) await sleep(100);
  return doneAt;
}

/** Acknowledged messages whose sender has no receipt yet. */
function missingReceipts(l: Ledger): number {
  let n = 0;
  for (const s of l.sent.values()) {
    if (s.acceptedId === undefined || !l.acked.get(s.recipient)?.has(s.acceptedId)) continue;
    if (!l.receipts.get(s.sender)?.has(s.acceptedId)) n++;
  }
  return n;
}
