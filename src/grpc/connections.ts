// Limits on the connections of a gRPC port, below grpc-js:
//   - at most `max` open connections (each costs a file descriptor);
//   - a TLS handshake must finish within handshakeTimeoutMs, or the
//     connection is closed;
//   - when the limit is reached, the oldest connection still in its TLS
//     handshake makes room (a client that opens connections and never
//     handshakes — the cheap attack — is always the one to go); only when
//     every open connection is an established one is the new one refused.
// So thousands of idle TCP connections can neither exhaust the process's
// descriptors nor lock a valid client out: its handshake completes within
// milliseconds of connecting, while the idle ones are evicted first.
// Idle established connections are closed by grpc-js itself
// (grpc.max_connection_idle_ms, see agent.ts).
//
// grpc-js creates the net/tls server inside bindAsync and does not hand it
// out; serversOf() reaches it through the server's http2Servers map (private,
// present since grpc-js 1.10, checked by test/integration/agent-connections).
import type * as net from 'node:net';
import * as tls from 'node:tls';

import type * as grpc from '@grpc/grpc-js';

export interface ConnectionLimits {
  max: number;
  handshakeTimeoutMs: number;
}

export interface ConnectionStats {
  /** Open connections. */
  open: number;
  /** Of those, TLS connections whose handshake has not finished. */
  handshaking: number;
  /** New connections refused at the limit (every open one established). */
  refused: number;
  /** Handshaking connections closed to make room for a new one. */
  evicted: number;
  /** Connections closed because their TLS handshake took too long. */
  handshakeTimeouts: number;
}

/** The net.Server / tls.Server instances a grpc-js server listens with. */
export function serversOf(server: grpc.Server): net.Server[] {
  const map = (server as unknown as { http2Servers?: Map<net.Server, unknown> }).http2Servers;
  if (!(map instanceof Map)) {
    throw new Error('cannot apply connection limits: this @grpc/grpc-js version does not keep its servers in http2Servers');
  }
  return [...map.keys()];
}

function peerKey(s: net.Socket): string {
  return `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
}

export class ConnectionGuard {
  private readonly attached = new WeakSet<net.Server>();
  /** Handshaking raw sockets, oldest first, with their deadline timers. */
  private readonly handshaking = new Map<net.Socket, NodeJS.Timeout>();
  /** The same sockets by peer address, in case a Node version has no TLSSocket._parent. */
  private readonly byPeer = new Map<string, net.Socket>();
  private open = 0;
  private refused = 0;
  private evicted = 0;
  private handshakeTimeouts = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Guards every listening server of `server` not guarded yet (call after each bind). */
  attachTo(server: grpc.Server): void {
    for (const s of serversOf(server)) this.attach(s);
  }

  attach(server: net.Server): void {
    if (this.attached.has(server)) return;
    this.attached.add(server);
    const secure = server instanceof tls.Server;
    // Before grpc-js and tls.Server see the socket.
    server.prependListener('connection', (raw: net.Socket) => this.onConnection(raw, secure));
    if (secure) {
      server.on('secureConnection', (s: tls.TLSSocket) => this.established(s));
      // A failed handshake ends the connection (Node leaves that to the listener).
      server.on('tlsClientError', (_err: Error, s: tls.TLSSocket) => s.destroy());
    }
  }

  stats(): ConnectionStats {
    return {
      open: this.open, handshaking: this.handshaking.size, refused: this.refused, evicted: this.evicted,
      handshakeTimeouts: this.handshakeTimeouts,
    };
  }

  private onConnection(raw: net.Socket, secure: boolean): void {
    if (this.open >= this.limits.max) {
      const oldest = this.handshaking.keys().next();
      if (oldest.done) {
        this.refused++;
        raw.destroy();
        return;
      }
      this.evicted++;
      this.drop(oldest.value);
    }
    this.open++;
    raw.once('close', () => {
      this.open--;
      this.settle(raw);
    });
    if (!secure) return;
    const timer = setTimeout(() => {
      if (!this.handshaking.has(raw)) return;
      this.handshakeTimeouts++;
      this.drop(raw);
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    this.handshaking.set(raw, timer);
    this.byPeer.set(peerKey(raw), raw);
  }

  private established(s: tls.TLSSocket): void {
    // tls.Server wraps the accepted socket; _parent is that raw socket.
    const raw = (s as unknown as { _parent?: net.Socket })._parent ?? this.byPeer.get(peerKey(s));
    if (raw) this.settle(raw);
  }

  private settle(raw: net.Socket): void {
    const timer = this.handshaking.get(raw);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.handshaking.delete(raw);
    if (this.byPeer.get(peerKey(raw)) === raw) this.byPeer.delete(peerKey(raw));
  }

  private drop(raw: net.Socket): void {
    this.settle(raw);
    raw.destroy();
  }
}
