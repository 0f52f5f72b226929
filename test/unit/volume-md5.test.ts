// The pure-TypeScript MD5 that names NFS mountpoints as Nova does (node's md5
// is refused on FIPS hosts): RFC 1321's test suite (appendix A.5), padding
// boundaries, multi-byte UTF-8, and Nova's mountpoint for an export.
import { describe, expect, it } from 'vitest';

import { md5Hex } from '../../src/agent/volume/md5';
import { nfsMountpoint } from '../../src/agent/volume/nfs';

describe('md5', () => {
  it('RFC 1321 A.5 test suite', () => {
    const vectors: Array<[string, string]> = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    for (const [input, digest] of vectors) expect(md5Hex(input), JSON.stringify(input)).toBe(digest);
  });

  it('padding boundaries (55, 56, 63, 64, 65 bytes) and multi-byte UTF-8', () => {
    // Digests from Python's hashlib.md5(s.encode()).hexdigest().
    const vectors: Array<[string, string]> = [
      ['x'.repeat(55), '04364420e25c512fd958a70738aa8f72'],
      ['x'.repeat(56), '668a72d5ba17f08e62dabcafad6db14b'],
      ['x'.repeat(63), '7dc2ca208106a2f703567bdff99d8981'],
      ['x'.repeat(64), 'c1bb4f81d892b2d57947682aeb252456'],
      ['x'.repeat(65), '1bc932052302d074bdec39795fe00cf6'],
      ['é', '66ddcd97cfdeabb2f6fb8a999b4bc76f'],
      ['Grüße, 世界', '3f09d838cd485bfad6c29ac11286f1ac'],
    ];
    for (const [input, digest] of vectors) expect(md5Hex(input), JSON.stringify(input)).toBe(digest);
  });
});

describe('NFS mountpoint names', () => {
  it('md5 of the export (Nova-compatible) by default, sha256 when asked', () => {
    expect(nfsMountpoint('/mnt', '192.0.2.20:/srv/cinder')).toBe('/mnt/63552241bb16ec83b193db717b25fbae');
    expect(nfsMountpoint('/mnt', '[2001:db8::1]:/export/vol', 'md5')).toBe('/mnt/88cec12d0ecceae5431f5e21e11228e5');
    expect(nfsMountpoint('/mnt', '192.0.2.20:/srv/cinder', 'sha256'))
      .toBe('/mnt/8390d06fcd9498d598f4221b8d8896418cb0a511b16f0dfb4ed42c4f6da05883');
  });
});
