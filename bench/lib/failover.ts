/**
 * The kill -9 figure of the scale-out section: three nodes with the default lease, a sender streaming
 * to a recipient on another node, the sender's node killed with SIGKILL. The sender's client moves to
 * the next node, logs in and resends every unanswered Send with the RESEND flag and the same clientId.
 * A second account on the killed node stays away, so its release is what a watcher on a third node
 * hears (the sender's own session is taken over by its new login, which is not a presence change).
 */
import { ChatClient, ConnectionClosedError } from '../../src/protocol/client.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { contentFor, sleep, waitFor } from './common.js';
import type { Node } from './cluster.js';

const PASSWORD = 'bench password';

export interface Failover {
  /** From the kill until the sender's client is logged in on another node (ms). */
  backMs: number;
  /** From the kill until the watcher hears that the stay-away account went offline (ms); undefined if not within the wait. */
  releasedMs: number | undefined;
  /** Sends written, and those answered Accepted (before the kill, or after the resend). */
  sent: number;
  accepted: number;
  /** Sends in flight when the node died, resent with RESEND. */
  resent: number;
  /** Accepted messages that never reached the recipient (live or fetched afterwards): must be 0. */
  lost: number;
  /** Messages the recipient got whose id differs from the one its sender was told. */
  idMismatch: number;
}

async function loggedIn(port: number, name: string): Promise<ChatClient> {
  const c = await ChatClient.connect({ port });
  await c.login(name, PASSWORD);
  return c;
}

/** Runs the figure on `nodes` (at least 3); the nodes are started by the caller and node 0 is killed. */
export async function killNodeFigure(nodes: Node[], opts: { rate: number; burst: number; beforeMs: number; afterMs: number; releaseWaitMs: number }): Promise<Failover> {
  const [a, b, c] = nodes as [Node, Node, Node];
  const setup = await ChatClient.connect({ port: a.port });
  for (const n of ['fsender', 'frecipient', 'fstay', 'fwatcher']) await setup.register(n, PASSWORD);
  await setup.close();

  const received = new Map<number, number>(); // clientId -> message id
  const recipient = await loggedIn(b.port, 'frecipient');
  let newest = 0;
  recipient.on('message', (m) => {
    received.set(m.clientId, m.id);
    newest = Math.max(newest, m.id);
  });
  const acker = setInterval(() => {
    if (newest > 0) recipient.ack(newest).catch(() => undefined);
  }, 20);
  const stay = await loggedIn(a.port, 'fstay');
  const watcher = await loggedIn(c.port, 'fwatcher');
  let killedAt = 0;
  let releasedAt: number | undefined;
  watcher.on('presence', (name, online) => {
    if (name === 'fstay' && !online && releasedAt === undefined) releasedAt = Date.now();
  });
  const online = await watcher.watch(['fstay', 'fsender']);
  if (!online.includes('fstay')) throw new Error(`the watcher does not see fstay online (${online.join(',')})`);

  let sender = await loggedIn(a.port, 'fsender');
  const accepted = new Map<number, number>(); // clientId -> message id
  const unanswered = new Map<number, number>(); // clientId -> seq (for the content)
  let backAt = 0;
  let resent = 0;
  let failures = 0;
  const sendOne = (client: ChatClient, cid: number, seq: number, flags: number) =>
    client.send('frecipient', contentFor(seq, 64), cid, flags).then(
      (id) => {
        accepted.set(cid, id);
        unanswered.delete(cid);
      },
      (err: unknown) => {
        // In flight on the dead node: stays unanswered, resent from the next node.
        if (!(err instanceof ConnectionClosedError)) failures++;
      },
    );
  // The client's move: on a lost connection, the next node in the list, then resend what is unanswered.
  const moved = new Promise<void>((resolve) => {
    sender.once('close', () => {
      void (async () => {
        for (let k = 1; ; k++) {
          const next = nodes[k % nodes.length]!;
          if (next === a) continue;
          try {
            sender = await loggedIn(next.port, 'fsender');
            break;
          } catch {
            await sleep(50);
          }
        }
        backAt = Date.now();
        const again = [...unanswered];
        resent = again.length;
        await Promise.all(again.map(([cid, seq]) => sendOne(sender, cid, seq, MessageFlags.RESEND)));
        resolve();
      })();
    });
  });

  const all: Promise<void>[] = [];
  let seq = 0;
  const write = () => {
    const cid = sender.newClientId();
    const s = seq++;
    unanswered.set(cid, s);
    all.push(sendOne(sender, cid, s, 0));
  };
  /** `opts.rate` Sends a second for `ms`, from whichever node the sender is on. */
  const stream = async (ms: number) => {
    const start = Date.now();
    const first = seq;
    while (Date.now() - start < ms) {
      const due = Math.floor(((Date.now() - start) * opts.rate) / 1000);
      while (seq - first < due) write();
      await sleep(2);
    }
  };
  await stream(opts.beforeMs);
  // A burst written just before the kill, so Sends are in flight (some perhaps committed, unanswered).
  for (let k = 0; k < opts.burst; k++) write();
  killedAt = Date.now();
  a.child.kill('SIGKILL');
  await moved;
  await stream(opts.afterMs);
  await Promise.all(all);
  await waitFor(() => releasedAt !== undefined, Math.max(0, killedAt + opts.releaseWaitMs - Date.now()));

  // Whatever was not pushed live waits in the recipient's queue.
  await waitFor(() => [...accepted.keys()].every((cid) => received.has(cid)), 2000);
  clearInterval(acker);
  for (;;) {
    const batch = await recipient.fetch(200);
    for (const m of batch.messages) received.set(m.clientId, m.id);
    const last = batch.messages.at(-1);
    if (!last) break;
    await recipient.ack(last.id);
  }
  let lost = 0;
  let idMismatch = 0;
  for (const [cid, id] of accepted) {
    const got = received.get(cid);
    if (got === undefined) lost++;
    else if (got !== id) idMismatch++;
  }
  for (const x of [recipient, stay, watcher, sender]) await x.close().catch(() => undefined);
  if (failures) throw new Error(`${failures} sends refused with an error other than a closed connection`);
  return {
    backMs: backAt - killedAt,
    releasedMs: releasedAt === undefined ? undefined : releasedAt - killedAt,
    sent: seq,
    accepted: accepted.size,
    resent,
    lost,
    idMismatch,
  };
}
