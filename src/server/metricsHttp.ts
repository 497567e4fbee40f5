/**
 * The operators' HTTP endpoint (`--metrics-port`): `/metrics` in Prometheus text, `/health` as a
 * status code a load balancer or an orchestrator can act on (200 serving, 503 not: shutting down,
 * or its database cannot be reached).
 */
import http from 'node:http';
import type net from 'node:net';
import type { Log } from './log.js';
import type { Metrics } from './metrics.js';

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/** Serves the metrics and health on host:port (0 picks a free port); `closing` says the server is stopping. */
export async function serveMetrics(metrics: Metrics, host: string, port: number, log: Log, closing: () => boolean): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          log.error({ err }, 'collecting metrics failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (path === '/health') {
      const why = closing() ? 'shutting down' : metrics.storeUnavailable ? 'the database cannot be reached' : undefined;
      res.writeHead(why ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(why ? { status: 'unavailable', why } : { status: 'ok' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
