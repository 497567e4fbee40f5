/**
 * Several servers (`--server a:7878,b:7879`): the client is on one at a time and goes on to the next
 * in turn when its server dies or does not answer. Real servers (memory store), really stopped.
 */
import test, { type ExecutionContext } from 'ava';
import { render } from 'ink-testing-library';
import net from 'node:net';
import { ChatClient, type ChatMessage } from '../../src/protocol/client.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { App } from '../../src/tui/App.js';
import { formatServer, type ServerAddress } from '../../src/tui/servers.js';
import { ChatSession } from '../../src/tui/session.js';
import { initialState, reduce, type Action, type State } from '../../src/tui/state/index.js';
import { exited, removeDir, spawnServer, tempDir, TEST_COST } from '../server/helpers.js';
import { PASSWORD } from './realServer.js';
import { waitFor } from '../wait.js';
import { Tap } from '../lib/tap.js';

interface Node {
  address: ServerAddress;
  label: string;
  stop(): Promise<void>;
}

/**
 * Closes an in-process server, holding the event loop open meanwhile: close() waits for every
 * socket to close, and one whose client left while the server was pausing it for the shutdown goes
 * only when the server's grace timer (unref'd) destroys it; with nothing else alive, the test
 * process would exit before its teardown ends.
 */
async function closeHeld(server: RunningServer): Promise<void> {
  const hold = setInterval(() => undefined, 1000);
  try {
    await server.close();
  } finally {
    clearInterval(hold);
  }
}

/** An in-process server on the memory store; stopped when the test ends if not before. */
async function node(t: ExecutionContext, authTimeoutMs = 0): Promise<Node & { server: RunningServer }> {
  const server = await startServer({ port: 0, store: 'memory', scryptCost: TEST_COST, connections: { authTimeoutMs } });
  t.teardown(() => closeHeld(server));
  const address = { host: '127.0.0.1', port: server.port };
  return { server, address, label: formatServer(address), stop: () => closeHeld(server) };
}

/** `termchat-server --store memory` as a child process; killed when the test ends if not before. */
async function childNode(t: ExecutionContext): Promise<Node & { kill9(): Promise<void> }> {
  const dir = tempDir();
  const { child, port } = await spawnServer(dir, ['--store', 'memory']);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    removeDir(dir);
  });
  const address = { host: '127.0.0.1', port };
  const kill9 = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  return { address, label: formatServer(address), stop: kill9, kill9 };
}

/** Registers these accounts on a server (separate stores: each node needs its own). */
async function accounts(a: ServerAddress, ...names: string[]): Promise<void> {
  const c = await ChatClient.connect(a);
  for (const n of names) await c.register(n, PASSWORD);
  await c.close();
}

/** A logged-in direct client on one server that collects what is pushed to it and acknowledges it. */
async function reader(t: ExecutionContext, a: ServerAddress, name: string) {
  const c = await ChatClient.connect(a);
  t.teardown(() => c.close());
  await c.login(name, PASSWORD);
  const got: ChatMessage[] = [];
  c.on('message', (m) => {
    got.push(m);
    void c.ack(m.id).catch(() => undefined);
  });
  return { client: c, got };
}

function session(t: ExecutionContext, servers: readonly ServerAddress[], connect = (a: ServerAddress) => ChatClient.connect(a)) {
  let state: State = initialState();
  const actions: Action[] = [];
  const s = new ChatSession(
    connect,
    (a) => {
      actions.push(a);
      state = reduce(state, a);
    },
    { servers, autoFetch: false },
  );
  t.teardown(() => s.stop());
  return {
    session: s,
    actions,
    get state() {
      return state;
    },
  };
}

/** Logged in again by itself (a resumed login) on `label`, after `since` actions. */
const resumedOn = (s: ReturnType<typeof session>, label: string, since: number): boolean =>
  s.state.server === label && s.state.conn === 'connected' && s.state.screen === 'main' && s.actions.slice(since).some((a) => a.type === 'loggedIn' && a.resumed === true);

/** A tap in front of each of two servers, closed when the test ends. */
async function taps(t: ExecutionContext, a: ServerAddress, b: ServerAddress): Promise<[Tap, Tap]> {
  const out: [Tap, Tap] = [await Tap.start(a), await Tap.start(b)];
  t.teardown(() => Promise.all(out.map((x) => x.close())));
  return out;
}

test('when the server it is on stops, the client logs in on the next one, round-robin, and what is sent afterwards arrives', async (t) => {
  const nodes = [await node(t), await node(t), await node(t)];
  for (const n of nodes) await accounts(n.address, 'bob', 'alice');
  const s = session(
    t,
    nodes.map((n) => n.address),
  );
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  t.is(s.state.server, nodes[0]!.label, 'the first server of the list');
  await s.session.login('bob', PASSWORD, false);
  t.is(s.state.screen, 'main');

  for (const [i, next] of [nodes[1]!, nodes[2]!].entries()) {
    const alice = await reader(t, next.address, 'alice');
    const mark = s.actions.length;
    await nodes[i]!.stop();
    await waitFor(() => resumedOn(s, next.label, mark), `logged in again on ${next.label}`);
    s.session.send('alice', `after move ${i + 1}`);
    await waitFor(() => alice.got.some((m) => m.content === `after move ${i + 1}`), 'the message arrived');
    t.is(alice.got.length, 1);
    // And the other way: pushed to bob on the new server, so his session there is live.
    await alice.client.send('bob', `hello on ${next.label}`);
    await waitFor(() => s.state.convs.entries.some((e) => e.text === `hello on ${next.label}`), 'pushed to bob');
  }
});

test('a server down at start is skipped: the client connects to the next one and says which', async (t) => {
  const dead = await new Promise<number>((resolve) => {
    const l = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = l.address() as net.AddressInfo;
      l.close(() => resolve(port));
    });
  });
  const up = await node(t);
  await accounts(up.address, 'bob');
  const deadAddress = { host: '127.0.0.1', port: dead };
  const s = session(t, [deadAddress, up.address]);
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  t.is(s.state.server, up.label);
  const refused = s.actions.find((a) => a.type === 'conn' && a.status === 'disconnected');
  t.regex((refused as { error?: string }).error ?? '', new RegExp(`cannot reach ${formatServer(deadAddress)}`));
  await s.session.login('bob', PASSWORD, false);
  t.is(s.state.screen, 'main');
});

test('a message in flight when the server goes away is resent to the next one with the same client id, flagged RESEND', async (t) => {
  const [a, b] = [await node(t), await node(t)];
  for (const n of [a, b]) await accounts(n.address, 'bob', 'alice');
  const [tapA, tapB] = await taps(t, a.address, b.address);
  const s = session(t, [tapA.address, tapB.address]);
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  await s.session.login('bob', PASSWORD, false);
  const alice = await reader(t, b.address, 'alice');
  tapA.hold(true);
  s.session.send('alice', 'in flight');
  await waitFor(() => tapA.sends.length === 1, 'sent to the first server');
  const mark = s.actions.length;
  await tapA.refuse(); // the network to the first server is gone
  await waitFor(() => resumedOn(s, formatServer(tapB.address), mark), 'on the next server');
  // Accepted: queued, or already delivered (alice acknowledges at once, so 'queued' may not last).
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery !== 'pending', 'accepted by the next server');
  t.is(tapB.sends.length, 1);
  t.is(tapB.sends[0]!.clientId, tapA.sends[0]!.clientId);
  t.is(tapA.sends[0]!.flags & MessageFlags.RESEND, 0);
  t.is(tapB.sends[0]!.flags & MessageFlags.RESEND, MessageFlags.RESEND);
  await waitFor(() => alice.got.length === 1, 'delivered');
  t.is(alice.got[0]!.content, 'in flight');
});

test('kill -9 of the server process it is on: the client goes on with the next one, logged in, and messages flow', async (t) => {
  const [first, second] = [await childNode(t), await childNode(t)];
  for (const n of [first, second]) await accounts(n.address, 'bob', 'alice');
  const s = session(t, [first.address, second.address]);
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  await s.session.login('bob', PASSWORD, false);
  t.is(s.state.server, first.label);
  const alice = await reader(t, second.address, 'alice');
  const mark = s.actions.length;
  await first.kill9();
  await waitFor(() => resumedOn(s, second.label, mark), 'logged in again on the second server');
  s.session.send('alice', 'still here');
  await waitFor(() => alice.got.some((m) => m.content === 'still here'), 'the message arrived');
  t.is(s.state.convs.entries.at(-1)!.text, 'still here');
});

test('the status bar shows the server in use, and the next one once it moved', async (t) => {
  const [a, b] = [await node(t), await node(t)];
  for (const n of [a, b]) await accounts(n.address, 'bob', 'alice');
  const ui = render(<App connect={(x) => ChatClient.connect(x)} servers={[a.address, b.address]} onQuit={() => undefined} usersRefreshMs={60_000} />);
  t.teardown(() => ui.unmount());
  const see = async (text: string) => {
    try {
      await waitFor(() => (ui.lastFrame() ?? '').includes(text), text);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- frame ---\n${ui.lastFrame()}`);
    }
  };
  await see(`● ${a.label}`);
  ui.stdin.write('bob');
  await see('Username: bob');
  ui.stdin.write('\t');
  await see('› Password:');
  ui.stdin.write(PASSWORD);
  await see(`Password: ${'*'.repeat(PASSWORD.length)}`);
  ui.stdin.write('\r');
  await see('Inbox (0)');
  await a.stop();
  await see(`● ${b.label} │ bob`);
  const alice = await reader(t, b.address, 'alice');
  await alice.client.send('bob', 'found you');
  await see('alice: found you');
  t.false((ui.lastFrame() ?? '').includes(a.label));
});

/** How the TUI connects, with a heartbeat short enough for a test (see LIVENESS in cli.tsx). */
const watchful = (a: ServerAddress) => ChatClient.connect({ ...a, connectTimeoutMs: 5_000, heartbeat: { idleMs: 200, answerMs: 1_000 } });

test('the network to its server goes away without a word: the heartbeat notices, and the client moves on to the next server', async (t) => {
  const [a, b] = [await node(t), await node(t)];
  for (const n of [a, b]) await accounts(n.address, 'bob', 'alice');
  const tapA = await Tap.start(a.address);
  t.teardown(() => tapA.close());
  const s = session(t, [tapA.address, b.address], watchful);
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  await s.session.login('bob', PASSWORD, false);
  const alice = await reader(t, b.address, 'alice');
  const mark = s.actions.length;
  tapA.blackhole(); // no reset, no FIN: nothing at all comes back any more
  await waitFor(() => resumedOn(s, b.label, mark), 'logged in again on the next server');
  const lost = s.actions.slice(mark).find((x) => x.type === 'conn' && x.status === 'disconnected');
  t.regex((lost as { error?: string } | undefined)?.error ?? '', new RegExp(`connection to ${formatServer(tapA.address)} lost`));
  s.session.send('alice', 'over the other road');
  await waitFor(() => alice.got.some((m) => m.content === 'over the other road'), 'the message arrived');
});

test('a server that accepts connections and never answers is left for the next one', async (t) => {
  const mute = net.createServer((sock) => sock.on('error', () => undefined));
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    mute.close();
  });
  const muteAddress = { host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port };
  const up = await node(t);
  await accounts(up.address, 'bob');
  const s = session(t, [muteAddress, up.address], watchful);
  s.session.start();
  await waitFor(() => s.state.server === up.label && s.state.conn === 'connected', 'on the server that answers');
  await s.session.login('bob', PASSWORD, false);
  t.is(s.state.screen, 'main');
});

test('a server that hangs up on a connection left idle at the login screen is alive: the client comes back to it, not the next', async (t) => {
  const [a, b] = [await node(t, 300), await node(t)];
  const [tapA, tapB] = await taps(t, a.address, b.address);
  const s = session(t, [tapA.address, tapB.address]);
  s.session.start();
  await waitFor(() => tapA.accepted >= 3, 'closed for idleness twice, and back each time');
  await waitFor(() => s.state.conn === 'connected', 'connected');
  t.is(s.state.server, formatServer(tapA.address));
  t.is(tapB.accepted, 0, 'never went to the next server');
});
