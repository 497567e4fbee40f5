/**
 * The Targets section of bench/results.md: each target (issue 19's ratios to the raw relay and to
 * NATS core, measured in the same run; the attacks' bounds of issues 8 and 17) checked against the
 * figures of the run, met / NOT met (or "not measured" when a figure is n/a).
 */

/** A figure of the run: the first row whose name starts with `name`, in column `col` (undefined if n/a). */
export type Figure = (name: string, col: 'termchat' | 'raw' | 'NATS') => number | undefined;

const verdict = (ok: boolean | undefined) => (ok === undefined ? ' - not measured' : ok ? ' - met' : ' - NOT met');
const pct = (a?: number, b?: number) => (a !== undefined && b ? `${((100 * a) / b).toFixed(0)}%` : 'n/a');
const ms = (v?: number) => (v === undefined ? 'n/a' : `${v.toFixed(3)} ms`);
const both = (a?: number, b?: number) => a !== undefined && b !== undefined;

/** The lines of the Targets section. `fsyncP50` is the run's fsync floor (ms), when measured. */
export function targets(get: Figure, fsyncP50: number | undefined): string[] {
  const out: string[] = [];
  const t1 = get('Relay throughput, 1 sender', 'termchat');
  const r1 = get('Relay throughput, 1 sender', 'raw');
  const t16 = get('Relay throughput, 16 pairs', 'termchat');
  const r16 = get('Relay throughput, 16 pairs', 'raw');
  out.push(
    `- Relay >= 40% of the raw relay: 1 pair ${pct(t1, r1)}${verdict(both(t1, r1) ? t1! / r1! >= 0.4 : undefined)}; 16 pairs ${pct(t16, r16)}${verdict(both(t16, r16) ? t16! / r16! >= 0.4 : undefined)}.`,
  );
  const c1 = get('Server CPU per relayed message (user + system, /proc), 1 pair', 'termchat');
  const c16 = get('Server CPU per relayed message (user + system, /proc), 16 pairs', 'termchat');
  const rc1 = get('Server CPU per relayed message (user + system, /proc), 1 pair', 'raw');
  const rc16 = get('Server CPU per relayed message (user + system, /proc), 16 pairs', 'raw');
  const x = (a?: number, b?: number) => (both(a, b) ? `${(a! / b!).toFixed(1)}x` : 'n/a');
  const us = (v?: number) => (v === undefined ? 'n/a' : `${v.toFixed(2)} us`);
  out.push(
    `- Server CPU per relayed message <= 10x the raw relay's: 1 pair ${us(c1)} = ${x(c1, rc1)}${verdict(both(c1, rc1) ? c1! <= 10 * rc1! : undefined)}; 16 pairs ${us(c16)} = ${x(c16, rc16)}${verdict(both(c16, rc16) ? c16! <= 10 * rc16! : undefined)}.`,
  );
  const p5 = get('Send -> push latency at 5k msg/s, p99', 'termchat');
  const n5 = get('Send -> push latency at 5k msg/s, p99', 'NATS');
  out.push(`- Send -> push p99 at 5k msg/s <= 2x NATS core's: ${ms(p5)} vs ${ms(n5)} = ${x(p5, n5)}${verdict(both(p5, n5) ? p5! <= 2 * n5! : undefined)}.`);
  const rssT = get('Server RSS after the relay runs', 'termchat');
  const rssR = get('Server RSS after the relay runs', 'raw');
  out.push(`- Server RSS after the relay runs <= 1.5x the raw relay's: ${x(rssT, rssR)}${verdict(both(rssT, rssR) ? rssT! <= 1.5 * rssR! : undefined)}.`);
  const ping = get('Request/response: sequential Ping', 'termchat');
  const rawRt = get('Request/response: sequential Send', 'raw');
  out.push(`- Sequential Ping round trips >= 80% of raw: ${pct(ping, rawRt)}${verdict(both(ping, rawRt) ? ping! / rawRt! >= 0.8 : undefined)}.`);
  const send = get('Request/response: sequential Send', 'termchat');
  if (send !== undefined && rawRt !== undefined && fsyncP50 !== undefined) {
    const floorMs = 1000 / rawRt + fsyncP50;
    const sendMs = 1000 / send;
    out.push(
      `- Sequential Send -> Accepted within 1.5x of (raw round trip + one fdatasync): ${sendMs.toFixed(3)} ms per round trip vs ${floorMs.toFixed(3)} ms (${(1000 / rawRt).toFixed(3)} + ${fsyncP50.toFixed(3)} p50) = ${(sendMs / floorMs).toFixed(2)}x${verdict(sendMs <= 1.5 * floorMs)}.`,
    );
  } else out.push('- Sequential Send -> Accepted within 1.5x of (raw round trip + one fdatasync): n/a - not measured.');
  const l1 = get('termchat server event-loop delay p99 under the relay load, 1 pair', 'termchat');
  const l16 = get('termchat server event-loop delay p99 under the relay load, 16 pairs', 'termchat');
  out.push(`- Event-loop delay p99 < 5 ms under full relay load: 1 pair ${ms(l1)}${verdict(l1 === undefined ? undefined : l1 < 5)}; 16 pairs ${ms(l16)}${verdict(l16 === undefined ? undefined : l16 < 5)}.`);
  for (const a of ['Fetch attack (', 'Fetch attack from 8 connections', 'Register attack']) {
    const name = a.endsWith(' (') ? a.slice(0, -2) : a;
    const before = get(a.endsWith(' (') ? a : `${a} (`, 'termchat');
    const peak = get(`${name}: server RSS peak`, 'termchat');
    const login = get(`${name}: another client's Login`, 'termchat');
    const sendA = get(`${name}: another client's Send`, 'termchat');
    const growth = both(before, peak) ? peak! - before! : undefined;
    out.push(
      `- ${name}: RSS growth < 50 MB: ${growth === undefined ? 'n/a' : `${growth.toFixed(1)} MiB`}${verdict(growth === undefined ? undefined : growth * 1.048576 < 50)}; other client's Login < 100 ms: ${login === undefined ? 'n/a' : `${login.toFixed(1)} ms`}${verdict(login === undefined ? undefined : login < 100)}; its Send -> Accepted < 100 ms: ${sendA === undefined ? 'n/a' : `${sendA.toFixed(1)} ms`}${verdict(sendA === undefined ? undefined : sendA < 100)}.`,
    );
  }
  return out;
}
