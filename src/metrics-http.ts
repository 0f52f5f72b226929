// A Prometheus text-format endpoint for one prom-client registry: GET (or
// HEAD) /metrics on HOST:PORT, 404 for other paths, 405 for other methods,
// bounded header and request times and at most 64 connections. The agent's
// and the controller's metrics both serve through it.
import http from 'node:http';

import type { Registry } from 'prom-client';

import { parseListenAddress } from './grpc/server';

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/** Binds HOST:PORT (flag names the setting in errors) and serves the registry. */
/** Scrapers are few: idle or slow connections beyond this are refused rather than piled up. */
export const MAX_METRICS_CONNECTIONS = 64;

export async function serveMetrics(registry: Registry, address: string, flag = '--metrics-listen'): Promise<MetricsEndpoint> {
  let host: string;
  let port: number;
  try {
    const parsed = parseListenAddress(address);
    if (parsed.kind !== 'tcp') throw new Error('unix sockets are not supported');
    ({ host, port } = parsed);
  } catch (err) {
    throw new Error(`${flag}: expected HOST:PORT (e.g. 127.0.0.1:9477), got ${JSON.stringify(address)}`, { cause: err });
  }
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${String(err)}\n`);
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxConnections = MAX_METRICS_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`${flag} ${address}: ${err.code === 'EADDRINUSE' ? 'address in use' : err.message}`, { cause: err })));
    server.listen({ host: host === '' ? undefined : host, port }, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
