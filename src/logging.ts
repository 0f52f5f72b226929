// Structured JSON logs on stdout (journald/collectors pick them up there).
//
// One root logger per process from createLogger(); modules and requests get
// children that add fields instead of repeating them in every call:
//   const log = createLogger({ service: 'virt-agent', level: config.logLevel });
//   const flowLog = log.child({ flow: 'power-off', domain: name });
//   flowLog.info({ elapsedMs }, 'domain stopped');   // object first, then message
// Errors go under the `err` key so pino serializes message and stack:
//   log.error({ err }, 'libvirt connection lost');
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  /** Becomes the `service` field of every line, e.g. "virt-agent". */
  service: string;
  /** Default "info". */
  level?: LogLevel;
  /** Default stdout (synchronous, so lines are not lost on a crash). For tests: any writable. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than pino's numbers, for humans and log queries.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Logs nothing; for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Validates a level from config or a flag. */
export function parseLogLevel(value: string): LogLevel {
  const level = value.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  return level;
}
