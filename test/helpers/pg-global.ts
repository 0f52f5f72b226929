// vitest globalSetup: one throwaway PostgreSQL cluster for the whole run
// (test/helpers/pg.ts), its URL handed to the workers in the environment.
// VIRT_TEST_SKIP_PG=1 skips it (the PostgreSQL tests then fail, naming why).
import { PG_URL_ENV, startPgCluster } from './pg';

export default function setup(): () => void {
  if (process.env.VIRT_TEST_SKIP_PG === '1') return () => undefined;
  const cluster = startPgCluster();
  process.env[PG_URL_ENV] = cluster.url;
  return () => cluster.stop();
}
