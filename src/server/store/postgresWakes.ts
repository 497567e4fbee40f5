/**
 * Wake-ups between the nodes sharing one PostgreSQL database: what one node tells the others with
 * NOTIFY (messages for their sessions, takeovers, presence, receipts, accounts), and its wire form.
 * The statements that make the data write the payloads (postgresOps.ts, some in SQL); the listener
 * reads them back (postgresLink.ts).
 */
import type { NodeEvent } from './store.js';

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7900;

/** One wake-up for the other nodes (postgresLink.ts reads them back as NodeEvents). */
export type Wake =
  | ['m', recipientId: number, id: number, sender: string, clientId: number, flags: number, sentAt: number, content: string]
  | ['t', accountId: number, claim: number]
  | ['p', name: string, online: 0 | 1]
  | ['r', senderId: number, ...ids: number[]]
  | ['a', name: string, id: number, live: 0 | 1]
  // Groups (postgresGroups.ts): a message and its members online on other nodes; acknowledged group
  // message ids (one per member that acknowledged); a membership change and whom to tell.
  | ['g', group: string, id: number, sender: string, clientId: number, flags: number, sentAt: number, content: string, ...recipients: number[]]
  | ['k', ...ids: number[]]
  | ['G', group: string, change: number, name: string, by: string, ...to: number[]];

/** The SQL prefix of a node's own channel (+ its id): messages and receipts for its sessions only. */
export const NODE_CHANNEL = 'termchat.node.';

/**
 * The wire form of wake-ups: `node RS record (RS record)*`, a record `kind US field (US field)*`
 * (RS = 0x1E, US = 0x1F). Names and contents are printable ASCII, so neither separator can occur
 * in a field and nothing is escaped: PostgreSQL builds message payloads by concatenation, far
 * cheaper than JSON. A `r` record lists the sender, then the ids.
 */
export const RS = '\x1e';
export const US = '\x1f';

/** Wake-ups as NOTIFY payloads, each under the size limit. */
export function payloads(nodeId: string, wakes: readonly Wake[]): string[] {
  const out: string[] = [];
  let cur = nodeId;
  for (const w of wakes) {
    const e = w.join(US);
    if (cur !== nodeId && cur.length + 1 + e.length > MAX_PAYLOAD) {
      out.push(cur);
      cur = nodeId;
    }
    cur += RS + e;
  }
  if (cur !== nodeId) out.push(cur);
  return out;
}

/** The events of one payload, unless it came from `self`; malformed records are skipped. */
export function eventsOf(payload: string, self: string): NodeEvent[] {
  const records = payload.split(RS);
  if (records[0] === self) return [];
  const out: NodeEvent[] = [];
  let messages: Extract<NodeEvent, { type: 'messages' }>['messages'] | undefined;
  let groupMessages: Extract<NodeEvent, { type: 'groupMessages' }>['messages'] | undefined;
  for (let i = 1; i < records.length; i++) {
    const f = records[i]!.split(US);
    const n = (k: number) => Number(f[k]);
    switch (f[0]) {
      case 'm': {
        if (f.length !== 8) continue;
        if (!messages) out.push({ type: 'messages', messages: (messages = []) });
        messages.push({ recipientId: n(1), id: n(2), senderName: f[3]!, clientId: n(4), flags: n(5), sentAt: n(6), content: f[7]!, senderDeleted: false });
        break;
      }
      case 't':
        out.push({ type: 'takeover', accountId: n(1), claim: n(2) });
        break;
      case 'p':
        out.push({ type: 'presence', name: f[1]!, online: f[2] === '1' });
        break;
      case 'r':
        out.push({ type: 'receipts', senderId: n(1), ids: f.slice(2).map(Number) });
        break;
      case 'a':
        out.push({ type: 'account', name: f[1]!, id: n(2), live: f[3] === '1' });
        break;
      case 'g': {
        if (f.length < 9) continue;
        if (!groupMessages) out.push({ type: 'groupMessages', messages: (groupMessages = []) });
        groupMessages.push({
          group: f[1]!,
          id: n(2),
          senderName: f[3]!,
          clientId: n(4),
          flags: n(5),
          sentAt: n(6),
          content: f[7]!,
          senderDeleted: false,
          recipients: f.slice(8).map(Number),
        });
        break;
      }
      case 'k':
        out.push({ type: 'groupAcks', ids: f.slice(1).map(Number) });
        break;
      case 'G':
        if (f.length < 5) continue;
        out.push({ type: 'groupChanged', group: f[1]!, change: n(2), name: f[3]!, by: f[4]!, members: f.slice(5).map(Number) });
        break;
    }
  }
  return out;
}

