// Mutual TLS for the agent's gRPC port: the server presents its certificate
// and REQUIRES a client certificate signed by the configured CA; optionally
// only client certificates whose subject is on an allow-list may call.
//
// The allow-list is enforced in one place, a server interceptor carried by the
// credentials themselves (grpc-js applies a credential's interceptors to every
// call on the port bound with it): every service on that port — HostAgent,
// health, reflection — is covered, and a plaintext port can never have one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { PeerCertificate } from 'node:tls';

import * as grpc from '@grpc/grpc-js';
// Public since grpc-js 1.10 but not re-exported from the package index.
import { createServerCredentialsWithInterceptors } from '@grpc/grpc-js/build/src/server-credentials';

import { wellFormed } from './status';

/** A PEM source: a file path (string) or the PEM bytes themselves (Buffer). */
export type PemSource = string | Buffer;

export interface TlsSources {
  /** Own certificate chain (leaf first). */
  cert: PemSource;
  /** Private key of `cert`, unencrypted PEM. */
  key: PemSource;
  /** CA bundle that signed the peer's certificate. */
  ca: PemSource;
}

/** Names of the settings, for error messages (e.g. the controller's own flags). */
export interface TlsFlagNames {
  cert: string;
  key: string;
  ca: string;
}

export const AGENT_TLS_FLAGS: TlsFlagNames = { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca' };

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface ServerTlsOptions extends TlsSources {
  /**
   * Client certificate subjects allowed to call (see parseAllowSubjects); empty
   * or absent = any certificate the CA signed.
   */
  allowSubjects?: readonly string[];
  /** Told about each call refused by the allow-list (metrics, logs). */
  onDenied?: (method: string, subject: string, peer: string) => void;
  flags?: TlsFlagNames;
}

function readPem(source: PemSource, flag: string): { buf: Buffer; where: string } {
  if (Buffer.isBuffer(source)) return { buf: source, where: flag };
  if (source === '') throw new Error(`${flag}: no file given`);
  try {
    return { buf: fs.readFileSync(source), where: `${flag} ${source}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`${flag} ${source}: cannot read the file (${code})`, { cause: err });
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseCerts(buf: Buffer, where: string): crypto.X509Certificate[] {
  const blocks = buf.toString('utf8').match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error(`${where}: no PEM certificate in the file (expected -----BEGIN CERTIFICATE-----)`);
  return blocks.map((b, i) => {
    try {
      return new crypto.X509Certificate(b);
    } catch (err) {
      throw new Error(`${where}: certificate ${i + 1} is not valid PEM (${(err as Error).message})`, { cause: err });
    }
  });
}

/**
 * Reads and checks a certificate, its key and a CA bundle: each must parse,
 * and the key must belong to the certificate. Errors name the setting.
 */
export function loadTlsMaterial(sources: TlsSources, flags: TlsFlagNames = AGENT_TLS_FLAGS): TlsMaterial {
  const cert = readPem(sources.cert, flags.cert);
  const key = readPem(sources.key, flags.key);
  const ca = readPem(sources.ca, flags.ca);
  const [leaf] = parseCerts(cert.buf, cert.where);
  parseCerts(ca.buf, ca.where);
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPrivateKey(key.buf);
  } catch (err) {
    throw new Error(`${key.where}: not an unencrypted PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (!leaf!.checkPrivateKey(keyObject)) {
    throw new Error(`${key.where}: the key does not belong to the certificate in ${flags.cert}`);
  }
  return { cert: cert.buf, key: key.buf, ca: ca.buf };
}

// ---------------------------------------------------------------------------
// Subject allow-list

/** One allow-list entry: a name (SAN entry or a subject of just that CN), or a whole subject DN. */
export type SubjectRule = { cn: string } | { subject: Array<[string, string]> };

/**
 * Entries: a bare name (`controller-1`) matches a certificate with that SAN
 * entry (DNS, URI, IP address or email) or whose whole subject is
 * `/CN=controller-1`; a full subject in OpenSSL's one-line form
 * (`/O=Example/CN=controller-1`) matches a certificate whose subject DN is
 * exactly that, attribute for attribute, in order. Never "some CN": a subject
 * `/CN=intruder/CN=controller-1` or `/O=Other/CN=controller-1` does not match
 * `controller-1`. Entries travel as a comma list, so a full subject must use
 * the slash form.
 */
export function parseAllowSubjects(entries: readonly string[], flag = '--tls-allow-subjects'): SubjectRule[] {
  return entries.map((raw) => raw.trim()).filter((e) => e !== '').map((e) => {
    if (!e.startsWith('/')) {
      if (e.includes('=')) {
        throw new Error(`${flag}: ${JSON.stringify(e)}: give a bare name (SAN or sole CN), or a full subject as /CN=.../O=... (OpenSSL one-line form)`);
      }
      return { cn: e };
    }
    const attrs = e.slice(1).split(/(?<!\\)\//).map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new Error(`${flag}: ${JSON.stringify(e)}: expected /KEY=value/KEY=value, got ${JSON.stringify(part)}`);
      return [part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).replace(/\\\//g, '/')] as [string, string];
    });
    return { subject: attrs };
  });
}

interface CertNames {
  /** The subject DN's attributes, in order. */
  dn: Array<[string, string]>;
  /** SAN entries as [type, value], e.g. ["DNS", "controller-1"]. */
  san: Array<[string, string]>;
}

/** "DNS:a, IP Address:1.2.3.4, URI:\"x, y\"" (Node quotes values holding separators as JSON strings). */
export function parseSubjectAltName(text: string | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  const s = text ?? '';
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    if (colon < 0) break;
    const type = s.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (s[colon + 1] === '"') {
      let j = colon + 2;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(s.slice(colon + 1, j + 1)) as string;
      } catch {
        value = s.slice(colon + 2, j);
      }
      next = s.indexOf(', ', j);
    } else {
      next = s.indexOf(', ', colon);
      value = s.slice(colon + 1, next < 0 ? s.length : next);
    }
    out.push([type, value]);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

const namesCache = new Map<string, CertNames>();

function certNames(peer: PeerCertificate): CertNames {
  const key = (peer as Partial<PeerCertificate>).fingerprint256 ?? '';
  const hit = key ? namesCache.get(key) : undefined;
  if (hit) return hit;
  let dn: Array<[string, string]>;
  try {
    // X509Certificate keeps the DN's order (PeerCertificate.subject is an object).
    dn = new crypto.X509Certificate(peer.raw).subject.split('\n').filter((l) => l !== '').map((l) => {
      const eq = l.indexOf('=');
      return [l.slice(0, eq).toUpperCase(), l.slice(eq + 1)] as [string, string];
    });
  } catch {
    dn = subjectPairs(peer);
  }
  const names = { dn, san: parseSubjectAltName(peer.subjectaltname) };
  if (key) {
    if (namesCache.size >= 256) namesCache.delete(namesCache.keys().next().value as string);
    namesCache.set(key, names);
  }
  return names;
}

function subjectPairs(peer: PeerCertificate): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries((peer as Partial<PeerCertificate>).subject ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) out.push([k.toUpperCase(), String(value)]);
  }
  return out;
}

/**
 * Whether the certificate names `host`: its subject CN or a DNS SAN entry,
 * compared without case (host names are case-insensitive).
 */
export function certificateNamesHost(peer: PeerCertificate, host: string): boolean {
  const given = peer as Partial<PeerCertificate>;
  if (!given.subject || !given.raw) return false;
  const { dn, san } = certNames(peer);
  const want = host.toLowerCase();
  return dn.some(([k, v]) => k === 'CN' && v.toLowerCase() === want) || san.some(([t, v]) => t === 'DNS' && v.toLowerCase() === want);
}

/** The subject as /K=V/K=V, for messages and logs. */
export function describeSubject(peer: PeerCertificate | undefined): string {
  // An empty object when the client sent no certificate, whatever the typings say.
  const given = peer as Partial<PeerCertificate> | undefined;
  if (!given?.subject || !peer) return '(no client certificate)';
  const dn = given.raw ? certNames(peer).dn : subjectPairs(peer);
  return dn.map(([k, v]) => `/${k}=${v.replace(/\//g, '\\/')}`).join('');
}

const SAN_TYPES = new Set(['DNS', 'URI', 'IP Address', 'email']);

export function subjectAllowed(peer: PeerCertificate | undefined, rules: readonly SubjectRule[]): boolean {
  if (rules.length === 0) return peer !== undefined;
  const given = peer as Partial<PeerCertificate> | undefined;
  if (!given?.subject || !given.raw || !peer) return false;
  const { dn, san } = certNames(peer);
  const sameDn = (want: Array<[string, string]>) => want.length === dn.length && want.every(([k, v], i) => dn[i]![0] === k && dn[i]![1] === v);
  return rules.some((r) => {
    if ('subject' in r) return sameDn(r.subject);
    return sameDn([['CN', r.cn]])
      || san.some(([type, value]) => SAN_TYPES.has(type) && (type === 'DNS' ? value.toLowerCase() === r.cn.toLowerCase() : value === r.cn));
  });
}

/** Refuses, with PERMISSION_DENIED, every call whose client certificate is not on the list. */
export function allowListInterceptor(
  rules: readonly SubjectRule[],
  onDenied?: (method: string, subject: string, peer: string) => void,
): grpc.ServerInterceptor {
  return (method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const peer = call.getAuthContext().sslPeerCertificate;
        if (subjectAllowed(peer, rules)) {
          next(metadata);
          return;
        }
        const subject = describeSubject(peer);
        try {
          onDenied?.(method.path, subject, call.getPeer());
        } catch {
          // A broken hook must not let the call through or break the server.
        }
        call.sendStatus({
          code: grpc.status.PERMISSION_DENIED,
          details: wellFormed(`client certificate ${subject.slice(0, 512)} is not allowed to call this agent (--tls-allow-subjects)`),
        });
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

// ---------------------------------------------------------------------------
// Credentials

/** Server side: TLS with client certificates required (and verified against `ca`), plus the allow-list. */
export function serverCredentials(options: ServerTlsOptions): grpc.ServerCredentials {
  const flags = options.flags ?? AGENT_TLS_FLAGS;
  const m = loadTlsMaterial(options, flags);
  const rules = parseAllowSubjects(options.allowSubjects ?? []);
  const creds = grpc.ServerCredentials.createSsl(m.ca, [{ cert_chain: m.cert, private_key: m.key }], true);
  if (rules.length === 0) return creds;
  return createServerCredentialsWithInterceptors(creds, [allowListInterceptor(rules, options.onDenied)]);
}

/**
 * Client side (the controller): present `cert`, trust servers signed by `ca`.
 * The server's certificate must name the host dialled (SAN DNS or IP).
 */
export function channelCredentials(sources: TlsSources, flags: TlsFlagNames = AGENT_TLS_FLAGS): grpc.ChannelCredentials {
  const m = loadTlsMaterial(sources, flags);
  return grpc.credentials.createSsl(m.ca, m.key, m.cert);
}

/** TLS settings as the daemons' flags give them ('' = not set). */
export interface TlsFiles {
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  tlsAllowSubjects: readonly string[];
}

/** True when TLS is configured; throws when only some of cert/key/ca are set. */
export function tlsConfigured(files: TlsFiles): boolean {
  const given = { '--tls-cert': files.tlsCert, '--tls-key': files.tlsKey, '--tls-ca': files.tlsCa };
  const missing = Object.entries(given).filter(([, v]) => v === '').map(([k]) => k);
  if (missing.length === 3) {
    if (files.tlsAllowSubjects.length > 0) throw new Error('--tls-allow-subjects needs mutual TLS: set --tls-cert, --tls-key and --tls-ca');
    return false;
  }
  if (missing.length > 0) {
    throw new Error(`--tls-cert, --tls-key and --tls-ca go together (client certificates are always required); missing ${missing.join(', ')}`);
  }
  return true;
}

/**
 * A daemon's gRPC port credentials: mutual TLS when --tls-cert/--tls-key/--tls-ca
 * are set (all three or none), else undefined (plaintext: unix socket or loopback).
 */
export function serverCredentialsFromFlags(files: TlsFiles, onDenied?: ServerTlsOptions['onDenied']): grpc.ServerCredentials | undefined {
  if (!tlsConfigured(files)) return undefined;
  return serverCredentials({ cert: files.tlsCert, key: files.tlsKey, ca: files.tlsCa, allowSubjects: files.tlsAllowSubjects, onDenied });
}
