// Bad input for every RPC is INVALID_ARGUMENT naming the field, changes
// nothing, and leaves the agent (and the client's connection) working. Plus
// an agent whose libvirt is unavailable.
import fs from 'node:fs';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  codeName, errorOf, makeTestNode, NODE_DOMAINS, startTestAgent, until, type Msg, type TestAgent,
} from '../helpers/agent-client';

const MB = 1024 * 1024;
const HUGE = 'x'.repeat(MB);
const UUID = NODE_DOMAINS['web-1'].uuid;
const REF_RPCS = ['GetDomain', 'PowerOff', 'PowerOn', 'HardReboot', 'Destroy'] as const;
const REQUEST_ID_RPCS = ['PowerOff', 'PowerOn', 'HardReboot', 'Destroy', 'DisconnectVolume'] as const;
const LOCAL_VOLUME = { volume_id: 'v1', connection_info: { driver_volume_type: 'local', data: { device_path: '/dev/null' } } };

/** A valid request for each RPC, to which a test adds one bad field. */
function base(rpc: string): Msg {
  return rpc === 'DisconnectVolume' ? { volume: LOCAL_VOLUME } : { domain: { name: 'web-1' } };
}

let t: TestAgent;
let before: Msg[];

beforeAll(async () => {
  t = await startTestAgent();
  before = (await t.client.call('ListDomains')).domains;
});
afterAll(async () => {
  await t.close();
});

/** Asserts INVALID_ARGUMENT whose details start with `field: ` and stay short. */
async function expectInvalid(rpc: string, req: Msg, field: string): Promise<void> {
  const err = await errorOf(t.client.call(rpc, req), rpc);
  const label = `${rpc} ${field}`;
  expect({ label, code: codeName(err.code) }).toEqual({ label, code: 'INVALID_ARGUMENT' });
  expect(err.details.startsWith(`${field}: `), `${label}: ${err.details.slice(0, 200)}`).toBe(true);
  expect(err.details.length, label).toBeLessThan(1200);
}

describe('domain refs', () => {
  const cases: Array<[string, Msg | undefined, string]> = [
    ['missing domain', undefined, 'domain'],
    ['empty domain', {}, 'domain'],
    ['both name and uuid', { name: 'web-1', uuid: UUID }, 'domain'],
    ['bad uuid', { uuid: 'not-a-uuid' }, 'domain.uuid'],
    ['uuid in braces', { uuid: `{${UUID}}` }, 'domain.uuid'],
    ['uuid without dashes', { uuid: UUID.replace(/-/g, '') }, 'domain.uuid'],
    ['name with /', { name: 'a/b' }, 'domain.name'],
    ['name with ../', { name: '../etc' }, 'domain.name'],
    ['name with a newline', { name: 'web\n1' }, 'domain.name'],
    ['name with NUL', { name: 'web\u00001' }, 'domain.name'],
    ['256-character name', { name: 'n'.repeat(256) }, 'domain.name'],
    ['1 MB name', { name: HUGE }, 'domain.name'],
    ['1 MB uuid', { uuid: HUGE }, 'domain.uuid'],
  ];
  for (const rpc of REF_RPCS) {
    it(`${rpc}: every bad ref is INVALID_ARGUMENT naming the field`, async () => {
      for (const [, domain, field] of cases) {
        await expectInvalid(rpc, domain === undefined ? {} : { domain }, field);
      }
    });
  }

  it('DisconnectVolume: an empty ref is host-only, a bad one is INVALID_ARGUMENT', async () => {
    for (const [, domain, field] of cases.filter(([, d]) => d !== undefined && Object.keys(d).length > 0)) {
      await expectInvalid('DisconnectVolume', { domain, volume: LOCAL_VOLUME }, field);
    }
  });
});

describe('numeric and enum fields', () => {
  it('PowerOff timeout_seconds above 3600 and retry_interval_seconds 0 or above 3600', async () => {
    const r = { domain: { name: 'web-1' } };
    await expectInvalid('PowerOff', { ...r, timeout_seconds: 3601 }, 'timeout_seconds');
    await expectInvalid('PowerOff', { ...r, timeout_seconds: 4294967295 }, 'timeout_seconds');
    await expectInvalid('PowerOff', { ...r, retry_interval_seconds: 0 }, 'retry_interval_seconds');
    await expectInvalid('PowerOff', { ...r, retry_interval_seconds: 3601 }, 'retry_interval_seconds');
  });

  it('PowerOn and HardReboot wait_timeout_seconds 0 or above 3600', async () => {
    for (const rpc of ['PowerOn', 'HardReboot']) {
      await expectInvalid(rpc, { domain: { name: 'db-1' }, wait_timeout_seconds: 0 }, 'wait_timeout_seconds');
      await expectInvalid(rpc, { domain: { name: 'db-1' }, wait_timeout_seconds: 3601 }, 'wait_timeout_seconds');
    }
  });

  it('PowerOff with an unknown or unspecified shutdown method names its index', async () => {
    const r = { domain: { name: 'web-1' } };
    await expectInvalid('PowerOff', { ...r, shutdown_methods: [99] }, 'shutdown_methods[0]');
    await expectInvalid('PowerOff', { ...r, shutdown_methods: ['SHUTDOWN_METHOD_ACPI', 7] }, 'shutdown_methods[1]');
    await expectInvalid('PowerOff', { ...r, shutdown_methods: ['SHUTDOWN_METHOD_UNSPECIFIED'] }, 'shutdown_methods[0]');
  });
});

describe('request_id', () => {
  for (const rpc of REQUEST_ID_RPCS) {
    it(`${rpc}: bad request ids are INVALID_ARGUMENT`, async () => {
      for (const id of ['../x', 'a/b', 'r'.repeat(200), 'has space', 'ünï', HUGE]) {
        await expectInvalid(rpc, { ...base(rpc), request_id: id }, 'request_id');
      }
    });
  }
});

describe('volumes', () => {
  const vol = (over: Msg): Msg => ({ ...LOCAL_VOLUME, ...over });
  it('DisconnectVolume: missing volume, bad target_dev, bad or huge type and data', async () => {
    await expectInvalid('DisconnectVolume', {}, 'volume');
    await expectInvalid('DisconnectVolume', { volume: vol({ target_dev: 'VDB!' }) }, 'volume.target_dev');
    await expectInvalid('DisconnectVolume', { volume: vol({ target_dev: HUGE }) }, 'volume.target_dev');
    await expectInvalid('DisconnectVolume', { volume: vol({ connection_info: { driver_volume_type: 'ISCSI' } }) }, 'volume.connection_info.driver_volume_type');
    await expectInvalid('DisconnectVolume', { volume: vol({ connection_info: { driver_volume_type: HUGE } }) }, 'volume.connection_info.driver_volume_type');
    await expectInvalid('DisconnectVolume', { volume: vol({ connection_info: { driver_volume_type: 'local', data: {} } }) }, 'volume.connection_info.data.device_path');
    await expectInvalid('DisconnectVolume', { volume: vol({ connection_info: { driver_volume_type: 'local', data: { device_path: 'relative' } } }) }, 'volume.connection_info.data.device_path');
    const iscsi = { driver_volume_type: 'iscsi', data: { target_portal: '192.0.2.1:3260', target_iqn: HUGE, target_lun: '1' } };
    await expectInvalid('DisconnectVolume', { volume: vol({ connection_info: iscsi }) }, 'volume.connection_info.data.target_iqn');
  });

  it('Destroy: bad volumes are INVALID_ARGUMENT naming their index, before the domain is touched', async () => {
    const r = { domain: { name: 'web-1' }, destroy_disks: true };
    await expectInvalid('Destroy', { ...r, volumes: [vol({ connection_info: { driver_volume_type: 'nope' } })] }, 'volumes[0].connection_info.driver_volume_type');
    await expectInvalid('Destroy', { ...r, volumes: [LOCAL_VOLUME, vol({ target_dev: 'sd/a' })] }, 'volumes[1].target_dev');
    await expectInvalid('Destroy', { ...r, volumes: [vol({ connection_info: undefined })] }, 'volumes[0].connection_info.driver_volume_type');
  });
});

describe('DefineDomain', () => {
  it('oversized XML (2 MB) is INVALID_ARGUMENT; over the gRPC message limit is RESOURCE_EXHAUSTED', async () => {
    await expectInvalid('DefineDomain', { xml: `<domain>${'x'.repeat(2 * MB)}</domain>` }, 'xml');
    const err = await errorOf(t.client.call('DefineDomain', { xml: 'x'.repeat(5 * MB) }));
    expect(codeName(err.code)).toBe('RESOURCE_EXHAUSTED');
  });
});

describe('after all that', () => {
  it('the agent is up on the same connection, SERVING, and nothing changed', async () => {
    expect(await t.client.healthCheck('')).toBe('SERVING');
    expect((await t.client.call('GetHostInfo')).connected).toBe(true);
    expect((await t.client.call('ListDomains')).domains).toEqual(before);
    expect(t.agent.ops.active).toBe(0);
  });
});

describe('libvirt unavailable', () => {
  it('still listens; health NOT_SERVING; GetHostInfo says why; libvirt RPCs UNAVAILABLE; validation still INVALID_ARGUMENT', async () => {
    const a = await startTestAgent({ libvirtUri: 'test:///nonexistent-virt-agent-node.xml' });
    try {
      expect(a.agent.listen.port).toBeGreaterThan(0);
      expect(await a.client.healthCheck('')).toBe('NOT_SERVING');
      expect(await a.client.healthCheck('virtagent.v1.HostAgent')).toBe('NOT_SERVING');
      // GetHostInfo answers, saying why the agent is not healthy.
      expect(await a.client.call('GetHostInfo')).toMatchObject({ connected: false, healthy: false, health_detail: expect.stringContaining('nonexistent-virt-agent-node.xml') });
      for (const [rpc, req] of [
        ['GetDomain', { domain: { name: 'web-1' } }],
        ['ListDomains', {}],
        ['DefineDomain', { xml: '<domain type="test"><name>x</name></domain>' }],
        ['PowerOff', { domain: { name: 'web-1' } }],
        ['PowerOn', { domain: { name: 'web-1' } }],
        ['Destroy', { domain: { name: 'web-1' } }],
      ] as const) {
        const err = await a.client.fail(rpc, req);
        expect({ rpc, code: codeName(err.code) }).toEqual({ rpc, code: 'UNAVAILABLE' });
        expect(err.details).toContain('nonexistent-virt-agent-node.xml');
      }
      expect((await a.client.fail('GetDomain', { domain: { name: 'a/b' } })).code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      await a.close();
    }
  });

  it('turns SERVING once libvirt becomes reachable', async () => {
    const node = makeTestNode();
    const late = path.join(node.dir, 'late.xml');
    const a = await startTestAgent({ libvirtUri: `test://${late}` });
    try {
      expect(await a.client.healthCheck('')).toBe('NOT_SERVING');
      fs.copyFileSync(node.nodeFile, late);
      await until(async () => (await a.client.healthCheck('')) === 'SERVING', 15_000, 'health SERVING after reconnect');
      expect(await a.client.healthCheck('virtagent.v1.HostAgent')).toBe('SERVING');
      expect((await a.client.call('GetDomain', { domain: { name: 'web-1' } })).uuid).toBe(UUID);
    } finally {
      await a.close();
      fs.rmSync(node.dir, { recursive: true, force: true });
    }
  });
});
