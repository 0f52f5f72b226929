// What both daemons do around their main object: SIGTERM/SIGINT drain and
// exit 0. The handlers go in before the daemon starts: a signal arriving while
// it starts (even right after its "listening" line) must stop it cleanly, not
// kill the process with the default action.
import type { Logger } from '../logging';

export interface Stoppable {
  stop(): Promise<void>;
}

export async function runUntilSignalled<T extends Stoppable>(
  logger: Logger,
  start: () => Promise<T>,
  describe: (daemon: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  let daemon: T | undefined;
  let pending: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (daemon === undefined) {
      pending ??= signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    logger.info({ signal, ...describe(daemon) }, 'stopping: draining in-flight calls');
    daemon.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  daemon = await start();
  if (pending !== undefined) stop(pending);
  return daemon;
}
