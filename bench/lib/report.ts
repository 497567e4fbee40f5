/**
 * bench/results.md from the figures of one run: the header, the table (one column per system, with
 * the termchat / raw and termchat / gRPC ratios), the Targets of issue 8, the notes (what each broker
 * promises when it acknowledges) and the numbered footnotes of the n/a cells.
 */
import { machine } from './common.js';
import { WHERE_THE_TIME_GOES } from './notes.js';
import { targets } from './targets.js';

/** A figure, or n/a with the reason (it becomes a footnote). */
export type Cell = number | { na: string };

export interface Row<C extends string = string> {
  name: string;
  unit: string;
  better: 'higher' | 'lower' | '';
  digits: number;
  cells: Partial<Record<C, Cell>>;
}

export interface Results<C extends string> {
  title: string;
  started: Date;
  loadStart: string;
  loadEnd: string;
  /** Extra header lines (message sizes, fsync floor, experiments). */
  header: string[];
  /** In table order; must include 'termchat', 'gRPC' and 'raw' for the ratios and targets. */
  cols: { key: C; head: string }[];
  rows: Row<C>[];
  fsyncP50: number | undefined;
  sendFrame: number;
  statsMs: number;
}

function fmt(v: number, digits: number): string {
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The whole results file as Markdown. */
export function renderResults<C extends string>(r: Results<C>): string {
  const notes: string[] = [];
  const note = (text: string) => {
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const cellOf = (row: Row<C>, c: string): Cell | undefined => (row.cells as Partial<Record<string, Cell>>)[c];
  const out: string[] = [];
  out.push(`# ${r.title}`, '');
  out.push(`- Date: ${r.started.toISOString()}`);
  out.push(`- Machine: ${machine()}`);
  out.push(`- Load average (1/5/15 min) at start: ${r.loadStart}; at end: ${r.loadEnd}`);
  out.push(`- Loopback only; every server in its own process with a fresh temporary data directory; clients in the bench process (connections: in a separate load process).`);
  out.push(...r.header, '');
  out.push(`| Figure | unit | ${r.cols.map((c) => c.head).join(' | ')} | termchat / raw | termchat / gRPC |`);
  out.push(`|---|---|${r.cols.map(() => '---:|').join('')}---:|---:|`);
  for (const row of r.rows) {
    const cell = (c: string) => {
      const v = cellOf(row, c);
      if (v === undefined) return '';
      return typeof v === 'number' ? fmt(v, row.digits) : `n/a ${note(v.na)}`;
    };
    const ratio = (a: Cell | undefined, b: Cell | undefined) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? `${(a / b).toFixed(2)}x` : '');
    const arrow = row.better === 'higher' ? ' (higher is better)' : row.better === 'lower' ? ' (lower is better)' : '';
    out.push(`| ${row.name}${arrow} | ${row.unit} | ${r.cols.map((c) => cell(c.key)).join(' | ')} | ${ratio(cellOf(row, 'termchat'), cellOf(row, 'raw'))} | ${ratio(cellOf(row, 'termchat'), cellOf(row, 'gRPC'))} |`);
  }
  out.push('');
  out.push('## Targets (issue 8)', '');
  const get = (name: string, c: 'termchat' | 'raw' | 'NATS') => {
    const row = r.rows.find((x) => x.name.startsWith(name));
    const v = row ? cellOf(row, c) : undefined;
    return typeof v === 'number' ? v : undefined;
  };
  out.push(...targets(get, r.fsyncP50));
  out.push('');
  out.push('## Notes', '');
  out.push(
    '- termchat and termchat over gRPC are the same server process (one service, one SQLite store in a worker thread, WAL, synchronous=FULL). Every Accepted is after a durable group commit, or after the recipient acknowledged the message (a message pushed and acknowledged within --ack-wait-ms, 2 ms, is never written). The termchat column\'s clients speak the protocol directly (bench/lib/termchatWire.ts: Send frames from a template, pushes read by their header, one cumulative Ack per read, as an interactive client acks), as lean as the raw relay\'s; the gRPC column uses its client library and acknowledges every 256 messages. scrypt cost is lowered (N=2) only so that thousands of accounts can be set up quickly; the attacks run against servers with the default cost (N=16384), as shipped.',
  );
  out.push(`- The raw relay forwards the sender's ${r.sendFrame}-byte frames unparsed (no store, no rules) and answers each with 13 bytes; it is what node:net can do on this machine with the same client code, i.e. the ceiling.`);
  out.push('- The bench process (all clients) and the server share the 2 cores, so the client side is part of every figure; the ratios compare like with like.');
  out.push(
    "- Server CPU per relayed message: the server process's utime + stime (/proc/PID/stat) over the measured window of the relay run, divided by the messages delivered in that window; the same for every column, whatever its language or client library.",
  );
  out.push(
    `- Event-loop delay: the termchat server's own stats lines (startServer's statsIntervalMs = ${r.statsMs} ms: monitorEventLoopDelay, reset each interval); the figure is the worst interval p99 among the intervals inside the relay run's measured window.`,
  );
  out.push(
    "- Attacks: each against a fresh termchat server. RSS is sampled from /proc every 50 ms from just before the attacking write until the end of the window; meanwhile another client, in two independent loops, logs in afresh (connect + Login timed, a new connection each time) and sends one 512-byte message (Send -> Accepted), about one sample of each every 250 ms; a sample still waiting when the window ends counts with its elapsed time, so a value near the window (+ 2 s) is a lower bound.",
  );
  out.push(
    '- **Mosquitto** (MQTT 3.1.1, QoS 1, recipient with a persistent session, clean=false, persistence on, no queue/in-flight limits): PUBACK means the broker holds the message in memory and has queued it for the session. It does not fsync or even write per message: the persistence file is written every autosave_interval (30 min by default) and at a clean shutdown, so acknowledged messages are lost if the process or the machine dies.',
  );
  out.push(
    '- **NATS JetStream** (file-backed stream, publish with PubAck; recipient a durable pull consumer acking cumulatively every 256 messages): PubAck means the message is appended to the stream\'s file store, i.e. written to the OS page cache, not fsynced; the server syncs its files on a timer (sync_interval, 2 minutes by default), so acknowledged messages survive a process crash but not a machine crash or power loss.',
  );
  out.push('- **NATS core**: publish has no acknowledgement and nothing is stored (a message to an absent or slow subscriber is dropped); it is here as the cost of a bare broker, not as a durable peer.');
  out.push('');
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}  `));
  out.push('');
  out.push('## Where the time goes', '', WHERE_THE_TIME_GOES, '');
  return out.join('\n');
}
