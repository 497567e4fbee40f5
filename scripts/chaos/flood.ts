/**
 * A flood of silent sockets: connections to a node's TLS port and gRPC port that never send a byte
 * (no TLS ClientHello, no HTTP/2 preface), held open for a while. The promise: every socket counts
 * against one admission budget and a silent one is closed within a few seconds, so legitimate
 * clients keep being served.
 */
import net from 'node:net';

export interface FloodResult {
  opened: number;
  /** Closed by the node before the flood let go. */
  closedByServer: number;
}

/** Opens `n` silent sockets (half to each port), holds them `holdMs`, then closes what is left. */
export async function flood(ports: readonly number[], n: number, holdMs: number): Promise<FloodResult> {
  const sockets: net.Socket[] = [];
  let opened = 0;
  let closedByServer = 0;
  let releasing = false;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<void>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: ports[i % ports.length]! });
        s.on('connect', () => {
          opened++;
          resolve();
        });
        s.on('error', () => resolve());
        s.on('close', () => {
          if (!releasing) closedByServer++;
          resolve();
        });
        s.on('data', () => undefined);
        sockets.push(s);
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, holdMs));
  releasing = true;
  for (const s of sockets) s.destroy();
  return { opened, closedByServer };
}
