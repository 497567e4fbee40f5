/** Runs ngircd (if installed) on a free loopback port with flood penalties off, for the IRC column. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, sleep } from './common.js';

export const NGIRCD = ['/usr/sbin/ngircd', '/usr/bin/ngircd', '/usr/local/sbin/ngircd'].find((p) => fs.existsSync(p));

export interface Ircd {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Starts ngircd with a config in `dir`; resolves once it accepts connections. */
export async function startNgircd(dir: string): Promise<Ircd> {
  if (!NGIRCD) throw new Error('ngircd is not installed');
  const port = await freePort();
  const conf = path.join(dir, 'ngircd.conf');
  fs.writeFileSync(
    conf,
    `[Global]
Name = bench.irc
Info = termchat benchmark
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxNickLength = 16
# 0 disables the penalty (flood) throttle altogether.
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
PAM = no
Ident = no
DNS = no
RequireAuthPing = no
`,
  );
  const child = spawn(NGIRCD, ['-n', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ngircd exited: ${err}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > end) throw new Error(`ngircd did not start: ${err}`);
    await sleep(50);
  }
  return {
    child,
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
