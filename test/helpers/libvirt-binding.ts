// Shared by the libvirt binding tests (test/unit/libvirt-binding*.test.ts):
// error-detail constants of the test driver and small state/list helpers.
import type { LibvirtConnection } from '../../src/libvirt/connection';
import { stateReasonName } from '../../src/libvirt/constants';
import type { Guest } from '../../src/libvirt/guest';

/** virErrorDomain values seen here (the binding's own rejections use 0). */
export const FROM = { NONE: 0, TEST: 12, DOMAIN: 20 } as const;
/** virErrorLevel VIR_ERR_ERROR */
export const LEVEL_ERROR = 2;
/** The default test driver's one domain. */
export const DEFAULT_DOMAIN = { name: 'test', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f' };

export async function stateName(g: Guest): Promise<string> {
  const s = await g.state();
  return stateReasonName(s.state, s.reason);
}

export async function names(c: LibvirtConnection, flags: number): Promise<string[]> {
  return (await c.listAllDomains(flags)).map((g) => g.name).sort();
}
