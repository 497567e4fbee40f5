/** A loopback TCP proxy that counts the bytes each way, i.e. what the clients' sockets carry. */
import net from 'node:net';

export interface CountingProxy {
  port: number;
  /** Bytes clients wrote (client -> server). */
  up: number;
  /** Bytes clients read (server -> client). */
  down: number;
  close(): Promise<void>;
}

export function countingProxy(targetPort: number): Promise<CountingProxy> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1' });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    socks.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      p.up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      p.down += d.length;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  const p: CountingProxy = {
    port: 0,
    up: 0,
    down: 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      p.port = (server.address() as net.AddressInfo).port;
      resolve(p);
    });
  });
}
