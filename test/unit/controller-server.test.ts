// The proto mapping's pieces that decide what the records say: who did it
// (the action log's user is never taken from metadata a remote caller
// controls) and the volume status names ResetVolumeState accepts.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { requestContext, volumeStatusOf } from '../../src/controller/server';

const call = (meta: Record<string, string>, subject?: Record<string, string>) => {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(meta)) metadata.set(k, v);
  return { metadata, getAuthContext: () => (subject ? { sslPeerCertificate: { subject } as never } : {}) };
};

describe('requestContext: who did it', () => {
  it('mutual TLS: the client certificate subject; x-user is ignored', () => {
    const ctx = requestContext(call({ 'x-user': 'root', 'x-request-id': 'req-1' }, { O: 'Example', CN: 'ops-1' }), 'tls');
    expect(ctx).toEqual({ requestId: 'req-1', user: '/O=Example/CN=ops-1' });
  });

  it('plaintext loopback (development): x-user, else anonymous', () => {
    expect(requestContext(call({ 'x-user': 'alice' }), 'plaintext-loopback').user).toBe('alice');
    expect(requestContext(call({}), 'plaintext-loopback').user).toBe('anonymous');
  });

  it('unix socket: "unix-socket" whatever x-user says', () => {
    expect(requestContext(call({ 'x-user': 'alice' }), 'unix-socket').user).toBe('unix-socket');
  });

  it('a malformed request id is replaced by a generated one', () => {
    expect(requestContext(call({ 'x-request-id': 'bad id!' }), 'tls').requestId).toMatch(/^req-[0-9a-f-]{36}$/);
  });
});

it('volume status names: enum names and stored names; anything else is unknown', () => {
  expect(volumeStatusOf('VOLUME_STATUS_IN_USE')).toBe('in-use');
  expect(volumeStatusOf('VOLUME_STATUS_ERROR_DETACHING')).toBe('error_detaching');
  expect(volumeStatusOf('available')).toBe('available');
  expect(volumeStatusOf('VOLUME_STATUS_UNSPECIFIED')).toBeUndefined();
  expect(volumeStatusOf(3)).toBeUndefined();
});
