// Controller configuration (flags > env > file > defaults, hosts from every
// source) and the request checks, including the domain XML preparation.
import { describe, expect, it } from 'vitest';

import { defaultControllerConfig, parseAgentFlag, parseHostsFile, resolveControllerConfig } from '../../src/controller/config';
import { prepareDomainXml, volumeSpecs } from '../../src/controller/validate';

describe('configuration', () => {
  it('has sane defaults', () => {
    const c = defaultControllerConfig();
    expect(c).toMatchObject({ reclaimIntervalSeconds: 0, reclaimPollSeconds: 60, listen: '127.0.0.1:50052', agentRetryAttempts: 3 });
    expect(c.quota.defaults).toEqual({ instances: 10, vcpus: 20, memoryMib: 51200 });
  });

  it('layers file < env < flags and merges hosts from every source', () => {
    const files: Record<string, string> = { '/etc/hosts.txt': '# hosts\nh2=10.0.0.2:50051\nh3 unix:///run/h3.sock\n\n' };
    const c = resolveControllerConfig({
      file: {
        db: '/file.db', reclaimIntervalSeconds: 10, agents: { h1: '10.0.0.1:50051', h2: '10.9.9.9:1' },
        quota: { instances: 5 }, projectQuotas: { vip: { instances: -1, vcpus: 100 } },
      },
      env: { VIRT_CONTROLLER_RECLAIM_INTERVAL_SECONDS: '20', VIRT_CONTROLLER_QUOTA_VCPUS: '7', VIRT_CONTROLLER_AGENTS: 'h4=127.0.0.1:4' },
      flags: { reclaimIntervalSeconds: '30', hostsFile: '/etc/hosts.txt', quotaMemoryMib: '-1', agent: ['h1=127.0.0.1:9', 'h5=[::1]:5'] },
      readFile: (p) => files[p]!,
    });
    expect(c.db).toBe('/file.db');
    expect(c.reclaimIntervalSeconds).toBe(30);
    expect(c.quota.defaults).toEqual({ instances: 5, vcpus: 7, memoryMib: -1 });
    expect(c.quota.projects).toEqual({ vip: { instances: -1, vcpus: 100 } });
    expect(Object.fromEntries(c.hosts)).toEqual({
      h1: '127.0.0.1:9', h2: '10.0.0.2:50051', h3: 'unix:///run/h3.sock', h4: '127.0.0.1:4', h5: '[::1]:5',
    });
  });

  it('reads JSON hosts files in both shapes', () => {
    expect(Object.fromEntries(parseHostsFile('{"a": "127.0.0.1:1"}'))).toEqual({ a: '127.0.0.1:1' });
    expect(Object.fromEntries(parseHostsFile('[{"name": "b", "address": "host-b:2"}]'))).toEqual({ b: 'host-b:2' });
  });

  it('liveness and metrics settings: flags, environment, file', () => {
    const c = resolveControllerConfig({
      file: { serviceDownSeconds: 90, metricsListen: '127.0.0.1:9478' },
      env: { VIRT_CONTROLLER_SERVICE_DOWN_SECONDS: '120', VIRT_CONTROLLER_HEALTH_CHECK_INTERVAL_SECONDS: '15' },
      flags: {},
    });
    expect(c).toMatchObject({ serviceDownSeconds: 120, healthCheckIntervalSeconds: 15, metricsListen: '127.0.0.1:9478' });
    expect(resolveControllerConfig({ file: {}, env: {}, flags: { serviceDownSeconds: '30' } }).serviceDownSeconds).toBe(30);
    expect(defaultControllerConfig()).toMatchObject({ serviceDownSeconds: 60, healthCheckIntervalSeconds: 10, metricsListen: '' });
    expect(() => resolveControllerConfig({ env: {}, flags: { serviceDownSeconds: '0' } })).toThrow(/serviceDownSeconds must be > 0/);
    expect(() => resolveControllerConfig({ env: {}, flags: { serviceDownSeconds: '5' } }))
      .toThrow(/healthCheckIntervalSeconds \(10\) must be shorter than serviceDownSeconds \(5\)/);
  });

  it('rejects bad values with the setting named', () => {
    const bad = (flags: Record<string, unknown>, file?: unknown) => () => resolveControllerConfig({ flags, env: {}, file });
    expect(bad({ reclaimIntervalSeconds: '-1' })).toThrow(/reclaimIntervalSeconds must be a non-negative number/);
    expect(bad({ quotaInstances: '-2' })).toThrow(/quotaInstances must be an integer >= 0, or -1/);
    expect(bad({ agent: ['noequals'] })).toThrow(/--agent "noequals": expected NAME=ADDRESS/);
    expect(bad({}, { nope: 1 })).toThrow(/unknown setting "nope"/);
    expect(bad({}, { projectQuotas: { p: { cores: 1 } } })).toThrow(/projectQuotas.p.cores: unknown/);
    expect(() => parseAgentFlag('h=not an address')).toThrow(/agent address/);
    expect(() => parseHostsFile('h1\n')).toThrow(/--hosts-file:1: expected NAME=ADDRESS/);
  });
});

describe('domain XML preparation', () => {
  const want = { vcpus: 2, memoryMib: 512 };

  it('inserts uuid, name, vcpu and memory when absent', () => {
    const p = prepareDomainXml('<!-- <domain> in a comment --><domain type="kvm"><os><type>hvm</type></os></domain>', want);
    expect(p.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(p.domainName).toBe(p.uuid);
    expect(p.xml).toBe(`<!-- <domain> in a comment --><domain type="kvm"><uuid>${p.uuid}</uuid><name>${p.uuid}</name><vcpu>2</vcpu><memory unit="MiB">512</memory><os><type>hvm</type></os></domain>`);
  });

  it('keeps what the XML has when it matches the request', () => {
    const xml = '<?xml version="1.0"?>\n<domain type="kvm"><name>a</name><uuid>0C2F7C1E-8D4A-4E4B-9A57-3F2D8E0C1A11</uuid>'
      + '<vcpu placement="static">2</vcpu><memory unit="GiB">0.5</memory></domain>';
    const p = prepareDomainXml(xml, want);
    expect(p).toEqual({ xml, uuid: '0c2f7c1e-8d4a-4e4b-9a57-3f2d8e0c1a11', domainName: 'a' });
    expect(prepareDomainXml('<domain><memory>524288</memory><vcpu>2</vcpu></domain>', want).xml).not.toContain('<memory unit');
  });

  it('refuses XML that disagrees with the request or is not a domain', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /domain_xml: must not be empty/],
      ['<domain>', /domain_xml: not well-formed/],
      ['<!DOCTYPE x [<!ENTITY a "b">]><domain/>', /DTDs and entities/],
      ['<vm/>', /root element must be a single <domain>/],
      ['<domain/>', /root element must be/],
      ['<domain><uuid>nope</uuid></domain>', /<uuid> is not a UUID/],
      ['<domain><vcpu>4</vcpu></domain>', /<vcpu> "4" does not match vcpus 2/],
      ['<domain><memory unit="MiB">256</memory></domain>', /<memory> \(256 MiB\) does not match memory_mib 512/],
      ['<domain><memory unit="parsecs">1</memory></domain>', /<memory> is not a valid amount/],
      ['<domain><name>a</name><name>b</name></domain>', /<name> given more than once/],
    ];
    for (const [xml, re] of cases) expect(() => prepareDomainXml(xml, want), xml).toThrow(re);
  });

  it('checks volume specs, naming the field', () => {
    const ok = { volume_id: 'v1', target_dev: 'vdb', connection_info: { driver_volume_type: 'rbd', data: { pool: 'p', name: 'i' } } };
    expect(volumeSpecs([ok])).toEqual([{ ...ok, delete_on_termination: false }]);
    expect(() => volumeSpecs([ok, { ...ok, target_dev: 'vdc' }])).toThrow(/volumes\[1\]\.volume_id: volume v1 listed twice/);
    expect(() => volumeSpecs([ok, { ...ok, volume_id: 'v2' }])).toThrow(/volumes\[1\]\.target_dev: target vdb used twice/);
    expect(() => volumeSpecs([{ ...ok, volume_id: 'a b' }])).toThrow(/volumes\[0\]\.volume_id: /);
    expect(() => volumeSpecs([{ ...ok, connection_info: { driver_volume_type: 'rbd', data: { x: 1 } } }])).toThrow(/volumes\[0\]\.connection_info\.data\.x: must be a string/);
  });
});
