/**
 * Server RSS with N logged-in idle clients. The clients live in a separate process (connLoad.ts)
 * so the RSS read from /proc is the server's alone.
 */
import { rssMiB, spawnTs, stopChild } from './common.js';

export interface ConnResult {
  baseline: number;
  /** RSS in MiB per client count; a string says why a count was skipped or failed. */
  rss: Map<number, number | string>;
}

export async function connectionRss(kind: 'termchat' | 'grpc' | 'raw' | 'irc', serverPid: number, port: number, counts: number[], timeoutMs: number): Promise<ConnResult> {
  const baseline = rssMiB(serverPid);
  const rss = new Map<number, number | string>();
  const load = await spawnTs('bench/lib/connLoad.ts', [kind, String(port)], /^load ready/, ['--max-old-space-size=8192']);
  const answers: string[] = [];
  const waiters: (() => void)[] = [];
  let progress = 0;
  load.lines((l) => {
    const m = /^progress (\d+)$/.exec(l);
    if (m) {
      progress = Number(m[1]);
      return;
    }
    answers.push(l);
    waiters.shift()?.();
  });
  try {
    for (const n of counts) {
      load.child.stdin!.write(`grow ${n}\n`);
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
      const last = answers.at(-1) ?? '';
      if (!ok) {
        rss.set(n, `only ${progress} of ${n} clients were connected and logged in after ${timeoutMs / 1000} s (server RSS then: ${rssMiB(serverPid).toFixed(1)} MiB)`);
        break;
      }
      if (!last.startsWith('ready')) {
        rss.set(n, last.slice(0, 120));
        break;
      }
      rss.set(n, rssMiB(serverPid));
    }
  } finally {
    load.child.stdin!.end();
    await stopChild(load.child, 3000);
  }
  return { baseline, rss };
}
