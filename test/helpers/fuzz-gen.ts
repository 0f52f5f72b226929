// Request generators of the HostAgent fuzz test (test/integration/agent-fuzz.test.ts):
// a seeded PRNG, random and malformed field values, wire-confused protobuf
// and the mix of cases. The generator never names a domain that exists and
// never produces domain XML libvirt would accept.
import * as protobuf from 'protobufjs';

import { loadProtos } from '../../src/grpc/protos';
import { NODE_DOMAINS, type Msg } from './agent-client';

export const CANARY = 'virt-agent-fuzz-canary';
export const SERVICE = 'virtagent.v1.HostAgent';

// ---------------------------------------------------------------------------
// Seeded PRNG (mulberry32) and generators

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  private readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = mulberry32(seed);
  }
  float(): number {
    return this.rnd();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.rnd() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.rnd() * 256);
    return b;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'.charAt(this.int(0, 15));
    return s;
  }
}

const NODE_NAMES = new Set(Object.keys(NODE_DOMAINS));
const NODE_UUIDS = new Set(Object.values(NODE_DOMAINS).map((d) => d.uuid.toLowerCase()));

const TRAVERSAL = [
  `../../../../../../../../tmp/${CANARY}`,
  `/tmp/${CANARY}/../../etc/passwd`,
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\system32',
  '..%2f..%2f..%2fetc%2fshadow',
  '....//....//....//etc/hosts',
  `/var/lib/virt-agent/instances/../../../tmp/${CANARY}`,
  `/dev/../tmp/${CANARY}`,
  `file:///tmp/${CANARY}`,
  `ok\u0000/../../tmp/${CANARY}`,
  '/proc/self/mem',
  '/dev/sda',
  `$(touch /tmp/${CANARY})`,
  `\`touch /tmp/${CANARY}\``,
  `; touch /tmp/${CANARY}`,
  `| touch /tmp/${CANARY}`,
  `-rf /tmp/${CANARY}`,
  `--help`,
  `192.0.2.10:/../../tmp/${CANARY}`,
];

const ODD = [
  '', ' ', '\t', '\n', '\u0000', '%s%s%s%n', "' OR 1=1 --", '{"a":1}', '<x/>', '\u202e\u202d', '\ud83d\ude00',
  '\ud800', '\udfff', 'é'.normalize('NFD'), '\uFEFF', 'null', 'undefined', 'NaN', '-1', '4294967296', '__proto__',
  'constructor', 'toString', 'a'.repeat(255), 'a'.repeat(256),
];

function randomString(g: Gen): string {
  switch (g.int(0, 9)) {
    case 0: return g.pick(TRAVERSAL);
    case 1: return g.pick(ODD);
    case 2: return g.hex(g.int(1, 40));
    case 3: return 'x'.repeat(g.pick([1000, 10_000, 70_000]));
    case 4: {
      let s = '';
      const n = g.int(0, 60);
      for (let i = 0; i < n; i++) s += String.fromCodePoint(g.pick([g.int(0, 0x7f), g.int(0x80, 0x7ff), g.int(0x800, 0xd7ff), g.int(0xe000, 0xffff), g.int(0x10000, 0x10ffff)]));
      return s;
    }
    case 5: return `${g.pick(ODD)}${g.pick(TRAVERSAL)}${g.pick(ODD)}`;
    default: return `fz-${g.hex(g.int(4, 12))}`;
  }
}

/** A v4-shaped UUID no node domain has (in any case). */
function absentUuid(g: Gen): string {
  for (;;) {
    const u = `${g.hex(8)}-${g.hex(4)}-4${g.hex(3)}-${g.pick(['8', '9', 'a', 'b'])}${g.hex(3)}-${g.hex(12)}`;
    const cased = g.bool(0.2) ? u.toUpperCase() : u;
    if (!NODE_UUIDS.has(u)) return cased;
  }
}

function absentName(g: Gen): string {
  for (;;) {
    const n = g.bool(0.5) ? `fz-${g.hex(g.int(1, 20))}` : randomString(g);
    if (!NODE_NAMES.has(n) && !NODE_NAMES.has(n.trim())) return n;
  }
}

/** A domain ref: valid-looking but absent, or malformed in some way. Never a node domain. */
function ref(g: Gen): Msg | undefined {
  switch (g.int(0, 9)) {
    case 0: return undefined;
    case 1: return {};
    case 2: return { name: absentName(g), uuid: absentUuid(g) };
    case 3: return { uuid: g.pick(['not-a-uuid', `{${absentUuid(g)}}`, absentUuid(g).replace(/-/g, ''), `${absentUuid(g)}\n`, `../${absentUuid(g)}`, 'z'.repeat(36), randomString(g)]) };
    case 4: return { name: g.pick(TRAVERSAL) };
    case 5: return { uuid: absentUuid(g) };
    case 6: return { uuid: absentUuid(g) };
    default: return { name: absentName(g) };
  }
}

function requestId(g: Gen): string {
  return g.pick(['', '', `req-${g.hex(8)}`, `req-${g.int(0, 20)}`, randomString(g), '..', '../../etc/passwd', 'a'.repeat(129), `${CANARY}/x`]);
}

const VOLUME_TYPES = ['iscsi', 'rbd', 'nfs', 'local', '', 'ISCSI', 'fibre_channel', '../local', 'unknown-type'];

function connectionData(g: Gen): Record<string, string> {
  const keys = ['device_path', 'export', 'name', 'pool', 'target_portal', 'target_iqn', 'target_lun', 'target_portals', 'target_iqns', 'target_luns',
    'auth_password', 'secret_uuid', 'hosts', 'ports', '__proto__', 'constructor', 'toString', ''];
  const data: Record<string, string> = {};
  const n = g.int(0, 6);
  for (let i = 0; i < n; i++) {
    const k = g.bool(0.85) ? g.pick(keys) : randomString(g).slice(0, 100);
    const v = g.pick([
      g.pick(TRAVERSAL), randomString(g), `/dev/disk/by-path/${g.pick(TRAVERSAL)}`, `192.0.2.${g.int(0, 255)}:${g.int(0, 70000)}`,
      `iqn.2010-10.org.openstack:volume-${g.hex(6)}`, String(g.int(-5, 300)), JSON.stringify([g.pick(TRAVERSAL), 'a']), `volumes/${g.pick(TRAVERSAL)}`,
      `192.0.2.20:/srv/${g.pick(TRAVERSAL)}`,
    ]);
    Object.defineProperty(data, k, { value: v, enumerable: true, configurable: true, writable: true });
  }
  return data;
}

/** Well-formed connection info for volumes no host has: the host teardown runs (against the recording runner). */
function wellFormedVolume(g: Gen): Msg {
  const id = `vol-${g.hex(8)}`;
  const data: Record<string, Record<string, string>> = {
    iscsi: { target_portal: `192.0.2.${g.int(1, 254)}:3260`, target_iqn: `iqn.2010-10.org.openstack:volume-${g.hex(8)}`, target_lun: String(g.int(0, 255)) },
    rbd: { name: `volumes/volume-${g.hex(8)}` },
    nfs: { export: `192.0.2.${g.int(1, 254)}:/srv/${g.hex(6)}`, name: `volume-${g.hex(8)}` },
    local: { device_path: g.pick(['/dev/null', `/dev/disk/by-id/fz-${g.hex(6)}`]) },
  };
  const type = g.pick(Object.keys(data));
  return { volume_id: id, target_dev: g.pick(['vdz', 'vdy', 'sdz', '']), connection_info: { driver_volume_type: type, data: data[type]! } };
}

function volume(g: Gen): Msg | undefined {
  if (g.bool(0.05)) return undefined;
  if (g.bool(0.35)) return wellFormedVolume(g);
  return {
    volume_id: g.pick([`vol-${g.hex(6)}`, randomString(g), '']),
    target_dev: g.pick(['vdz', 'vdb', 'sdq', randomString(g), '']),
    connection_info: g.bool(0.1) ? undefined : { driver_volume_type: g.pick(VOLUME_TYPES), data: connectionData(g) },
  };
}

function deep(n: number): string {
  return '<a>'.repeat(n) + '</a>'.repeat(n);
}

const BILLION_LAUGHS = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
  + '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;">]><domain type="test"><name>&lol9;</name></domain>';

/** Domain XML that can never define a domain (bombs, bad syntax, a malformed uuid, a wrong root). */
function badXml(g: Gen): string {
  const name = `fz-${g.hex(6)}`;
  const badUuid = `<uuid>${g.pick(['zz', 'not-a-uuid', '1234', '../../etc'])}</uuid>`;
  const body = '<memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os>';
  switch (g.int(0, 13)) {
    case 0: return BILLION_LAUGHS;
    case 1: return `<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><domain type="test"><name>&xxe;</name>${body}</domain>`;
    case 2: return `<domain type="test"><name>${name}</name>${badUuid}${body}<metadata>${deep(g.int(10, 200))}</metadata></domain>`;
    case 3: return `<domain type="test"><name>${name}</name>${badUuid}${body}<metadata>${deep(g.pick([300, 5000, 50_000]))}</metadata></domain>`;
    case 4: return deep(g.pick([100, 1000, 100_000]));
    case 5: return `<domain type="test"><name>${name}</name>${badUuid}${body}<devices>${'<disk type="file"><source file="../../etc/passwd"/><target dev="vdz"/></disk>'.repeat(g.int(1, 500))}</devices></domain>`;
    case 6: return `<domain type="test"><name>${g.pick(TRAVERSAL).replace(/[<&]/g, '')}</name>${badUuid}${body}</domain>`;
    case 7: return `<domain type="test"><name>${name}</name>${badUuid}${body}`; // unterminated
    case 8: return `<notadomain><name>${name}</name></notadomain>`;
    case 9: return randomString(g);
    case 10: return `<domain type="test" ${Array.from({ length: g.int(1, 3000) }, (_, i) => `a${i}="${i}"`).join(' ')}><name>${name}</name>${badUuid}${body}</domain>`;
    case 11: return 'x'.repeat(1024 * 1024 + 1);
    case 12: return `<?xml version="1.0"?>${g.bytes(g.int(1, 200)).toString('latin1')}`;
    default: return `<domain type="test"><name>${name}</name>${badUuid}${body}<description>${g.pick(TRAVERSAL).replace(/[<&]/g, '')}</description></domain>`;
  }
}

function uint(g: Gen): number | undefined {
  return g.pick([undefined, 0, 1, g.int(0, 3600), 3601, 4294967295, g.int(0, 4294967295)]);
}

function shutdownMethods(g: Gen): Array<string | number> {
  const one = () => g.pick(['SHUTDOWN_METHOD_ACPI', 'SHUTDOWN_METHOD_GUEST_AGENT', 'SHUTDOWN_METHOD_UNSPECIFIED']);
  switch (g.int(0, 5)) {
    case 0: return Array.from({ length: g.pick([1000, 100_000]) }, one);
    case 1: return [one(), one()];
    case 2: return [];
    default: return [one()];
  }
}

type Rpc = 'GetHostInfo' | 'ListDomains' | 'GetDomain' | 'DefineDomain' | 'PowerOff' | 'PowerOn' | 'HardReboot' | 'Destroy' | 'DisconnectVolume';
const RPCS: Rpc[] = ['GetHostInfo', 'ListDomains', 'GetDomain', 'DefineDomain', 'PowerOff', 'PowerOn', 'HardReboot', 'Destroy', 'DisconnectVolume'];

function structured(g: Gen, rpc: Rpc): Msg {
  switch (rpc) {
    case 'GetHostInfo':
    case 'ListDomains':
      return {};
    case 'GetDomain':
      return { domain: ref(g) };
    case 'DefineDomain':
      return { xml: badXml(g), start: g.bool(), transient: g.bool() };
    case 'PowerOff':
      return { domain: ref(g), timeout_seconds: uint(g), retry_interval_seconds: uint(g), request_id: requestId(g), shutdown_methods: shutdownMethods(g) };
    case 'PowerOn':
    case 'HardReboot':
      return { domain: ref(g), wait_timeout_seconds: uint(g), discard_managed_save: g.bool(), request_id: requestId(g) };
    case 'Destroy': {
      // Huge repeated fields: many tiny well-formed volumes (under the 4 MiB limit), or many random ones (over it).
      if (g.bool(0.03)) {
        const volumes = Array.from({ length: g.pick([10_000, 50_000]) }, (_, i) => ({
          volume_id: `v${i}`, connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/null' } },
        }));
        return { domain: ref(g), request_id: requestId(g), volumes };
      }
      const n = g.pick([0, 0, 1, 3, 20, 2000]);
      return { domain: ref(g), destroy_disks: g.bool(), keep_nvram: g.bool(), request_id: requestId(g), volumes: Array.from({ length: n }, () => volume(g) ?? {}) };
    }
    case 'DisconnectVolume':
      return { domain: g.bool(0.4) ? undefined : ref(g), volume: volume(g), force: g.bool(), ignore_errors: g.bool(), request_id: requestId(g) };
  }
}

/** Protobuf with arbitrary field numbers and wire types (also nested in field 1, which is a message in most requests). */
function confused(g: Gen, depth = 0): Buffer {
  const w = protobuf.Writer.create();
  const n = g.int(0, 8);
  for (let i = 0; i < n; i++) {
    const field = g.bool(0.8) ? g.int(1, 8) : g.int(1, 2 ** 29 - 1);
    const wt = g.bool(0.9) ? g.pick([0, 1, 2, 5]) : g.pick([3, 4, 6, 7]);
    w.uint32(((field << 3) | wt) >>> 0);
    switch (wt) {
      case 0: if (g.bool()) w.uint64(g.int(0, 2 ** 53 - 1)); else w.int32(-g.int(1, 2 ** 31)); break;
      case 1: w.fixed64(g.int(0, 2 ** 32)); break;
      case 2: w.bytes(depth < 2 && g.bool(0.4) ? confused(g, depth + 1) : g.bool() ? Buffer.from(randomString(g).slice(0, 5000)) : g.bytes(g.int(0, 64))); break;
      case 5: w.fixed32(g.int(0, 2 ** 32 - 1)); break;
      default: break; // groups and invalid wire types: nothing follows
    }
  }
  return Buffer.from(w.finish());
}

// ---------------------------------------------------------------------------
// Cases

export type Kind = 'structured' | 'wire-confused' | 'raw-garbage' | 'unknown-method' | 'oversize' | 'watch' | 'health';
export interface Case {
  n: number;
  kind: Kind;
  path: string;
  body: Buffer;
  streaming: boolean;
  deadlineMs: number;
  /** For failure messages. */
  describe: string;
}

const protos = loadProtos(['virtagent/v1/agent.proto']);

export const service = (protos.packageDefinition as any)[SERVICE] as Record<string, {
  path: string; requestSerialize: (m: Msg) => Buffer; responseDeserialize: (b: Buffer) => Msg;
}>;


function short(x: unknown): string {
  const s = Buffer.isBuffer(x) ? `<${x.length} bytes ${x.subarray(0, 24).toString('hex')}>` : JSON.stringify(x, (_k, v: unknown) =>
    (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : Array.isArray(v) && v.length > 5 ? [...v.slice(0, 5), `…(${v.length})`] : v)) ?? String(x);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

export function makeCase(g: Gen, n: number): Case {
  const roll = g.float();
  const rpc = g.pick(RPCS);
  const pathOf = (m: string) => service[m]!.path;
  if (roll < 0.72) {
    const msg = structured(g, rpc);
    try {
      return { n, kind: 'structured', path: pathOf(rpc), body: service[rpc]!.requestSerialize(msg), streaming: false, deadlineMs: 20_000, describe: `${rpc} ${short(msg)}` };
    } catch {
      // Not encodable as the message type (wrong JS types): send it as confused wire data instead.
    }
  }
  if (roll < 0.84) {
    const body = confused(g);
    return { n, kind: 'wire-confused', path: pathOf(rpc), body, streaming: false, deadlineMs: 20_000, describe: `${rpc} ${short(body)}` };
  }
  if (roll < 0.94) {
    const body = g.bytes(g.pick([0, 1, 2, 7, g.int(0, 64), g.int(0, 4096)]));
    return { n, kind: 'raw-garbage', path: pathOf(rpc), body, streaming: false, deadlineMs: 20_000, describe: `${rpc} ${short(body)}` };
  }
  if (roll < 0.96) {
    const p = g.pick([`/${SERVICE}/NoSuchMethod`, `/${SERVICE}/`, '/virtagent.v1.Other/PowerOff', `/${SERVICE}/PowerOff/../Destroy`, '/', `/${SERVICE}/${randomString(g).replace(/[^\x21-\x7e]/g, '')}`]);
    return { n, kind: 'unknown-method', path: p, body: g.bytes(g.int(0, 32)), streaming: false, deadlineMs: 20_000, describe: `path ${short(p)}` };
  }
  if (roll < 0.98) {
    // grpc.health.v1.Health/Check with odd service names, as raw UTF-8 / CESU-8 (lone surrogates) / junk bytes.
    const name = g.pick([
      Buffer.from(randomString(g).slice(0, 2000)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x61, 0xed, 0xbf, 0xbf, 0x62]),
      g.bytes(g.int(0, 40)), Buffer.from(SERVICE), Buffer.alloc(0),
    ]);
    const w = protobuf.Writer.create();
    w.uint32(10).bytes(name);
    const body = Buffer.from(w.finish());
    return { n, kind: 'health', path: '/grpc.health.v1.Health/Check', body, streaming: false, deadlineMs: 20_000, describe: `Health/Check ${short(name)}` };
  }
  if (roll < 0.982) {
    // Over the server's 4 MiB receive limit.
    const body = service.DefineDomain!.requestSerialize({ xml: 'y'.repeat(5 * 1024 * 1024) });
    return { n, kind: 'oversize', path: pathOf('DefineDomain'), body, streaming: false, deadlineMs: 20_000, describe: `DefineDomain ${body.length} bytes` };
  }
  // A WatchEvents stream with a short deadline: DEADLINE_EXCEEDED, or INVALID_ARGUMENT for a bad ref.
  const domain = g.bool(0.3) ? undefined : ref(g);
  const body = g.bool(0.8) ? service.WatchEvents!.requestSerialize({ domain }) : confused(g);
  return { n, kind: 'watch', path: pathOf('WatchEvents'), body, streaming: true, deadlineMs: g.int(20, 300), describe: `WatchEvents ${short(domain)}` };
}
