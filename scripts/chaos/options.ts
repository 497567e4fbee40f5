/** The chaos run's flags: one table gives the parser, the defaults and `--help`. */
import { parseArgs } from 'node:util';

export const FAULT_KINDS = ['kill', 'stop', 'pg', 'link', 'restart', 'flood'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  seconds: number;
  seed: number | undefined;
  mode: 'pg' | 'sqlite';
  nodes: number;
  clients: number;
  grpcClients: number;
  faults: FaultKind[];
  faultEvery: number;
  rate: number;
  settle: number;
  rssBudget: number;
  nofile: number;
  flood: number;
  keep: boolean;
  verbose: boolean;
}

const TABLE = [
  ['seconds', 'N', '60', 'how long clients send and faults happen (then faults stop and the run settles)'],
  ['seed', 'S', 'random', 'seed of the fault schedule and of every random choice (printed; give it to repeat a run)'],
  ['mode', 'MODE', 'pg', 'pg: nodes on a private PostgreSQL 15 started for the run; sqlite: one node on SQLite'],
  ['nodes', 'N', '3', 'server nodes (pg mode; sqlite mode always has one)'],
  ['clients', 'N', '12', 'chat clients, each its own account'],
  ['grpc-clients', 'N', '3', 'how many of the clients use gRPC (the others TCP)'],
  ['faults', 'LIST', 'all', `comma-separated fault kinds (${FAULT_KINDS.join(', ')}), "all" or "none"`],
  ['fault-every', 'S', '5', 'mean seconds between two faults'],
  ['rate', 'R', '2', 'messages per second each client sends (pipelined, to random peers)'],
  ['settle', 'S', '90', 'longest quiet settle after the faults, waiting for every client to catch up'],
  ['rss-budget', 'MB', '300', 'most resident memory a node may use at any sample (MiB)'],
  ['nofile', 'N', '256', "nodes' open-file limit, so that a flood of silent sockets can reach it"],
  ['flood', 'N', '300', 'silent sockets per flood (split between the TLS and the gRPC port)'],
] as const;

export const HELP = `Usage: npm run chaos -- [options]

Runs termchat-server nodes, chat clients and a seeded fault schedule, then checks the promises
(every Accepted message delivered once after de-duplication and in order, receipts, no client
refused beyond the bound, node memory within the budget). Exits 1 on a failure, printing the seed.

Options:
${TABLE.map(([name, arg, def, doc]) => `  --${`${name} ${arg}`.padEnd(18)} ${doc} (default ${def})`).join('\n')}
  --keep               keep the temporary directory (node logs, PostgreSQL log)
  --verbose            log every fault and client event as it happens
  -h, --help           show this help
`;

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n\n${HELP}`);
  process.exit(2);
}

function num(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** The options from argv; prints help and exits for --help, exits 2 on a bad flag. */
export function parseOptions(argv: string[]): ChaosOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
      keep: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    };
    for (const [name] of TABLE) options[name] = { type: 'string' };
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values['help']) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const get = (name: (typeof TABLE)[number][0]): string => (values[name] as string | undefined) ?? TABLE.find((r) => r[0] === name)![2];
  const mode = get('mode');
  if (mode !== 'pg' && mode !== 'sqlite') fail(`--mode must be pg or sqlite, got "${mode}"`);
  const list = get('faults');
  const faults = list === 'all' ? [...FAULT_KINDS] : list === 'none' ? [] : list.split(',').map((f) => f.trim());
  for (const f of faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) fail(`unknown fault kind "${f}" (known: ${FAULT_KINDS.join(', ')})`);
  const clients = num('clients', get('clients'), 2, 200);
  const seed = get('seed');
  return {
    seconds: num('seconds', get('seconds'), 1, 86_400),
    seed: seed === 'random' ? undefined : num('seed', seed, 0, 0xffffffff),
    mode,
    nodes: mode === 'sqlite' ? 1 : num('nodes', get('nodes'), 1, 16),
    clients,
    grpcClients: num('grpc-clients', get('grpc-clients'), 0, clients),
    faults: faults as FaultKind[],
    faultEvery: num('fault-every', get('fault-every'), 0.5, 3600),
    rate: num('rate', get('rate'), 0.1, 1000),
    settle: num('settle', get('settle'), 5, 3600),
    rssBudget: num('rss-budget', get('rss-budget'), 16, 1 << 20),
    nofile: num('nofile', get('nofile'), 128, 1 << 20),
    flood: num('flood', get('flood'), 1, 100_000),
    keep: values['keep'] === true,
    verbose: values['verbose'] === true,
  };
}
