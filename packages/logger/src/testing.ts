import type { DestinationStream } from 'pino';
import { createLogger, type ImmoLogger } from './logger.js';
import type { LoggerOptions } from './options.js';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: string; msg?: string; time: string };

/** A logger whose lines are kept in memory, for a service's own tests. */
export interface CapturedLogger {
  /** The logger: pass it to your code or to `Fastify(loggerServerOptions(logger))`. */
  readonly logger: ImmoLogger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
  /** The raw JSON text of every line. */
  raw(): string[];
  /** The lines whose `msg` equals or matches `msg`. */
  find(msg: string | RegExp): LogLine[];
  /** Forgets the lines captured so far. */
  clear(): void;
}

/**
 * Creates a logger that writes synchronously into memory instead of stdout, with the same
 * formatting and redaction as production. `service` defaults to `'test'` and `level` to `'trace'`.
 *
 * @example
 * ```ts
 * import { captureLogs } from '@immo/logger/testing';
 *
 * const { logger, find } = captureLogs();
 * await allocatePayment(logger, payment);
 * expect(find('payment allocated')[0]).toMatchObject({ payment_id: 'P-1' });
 * ```
 */
export function captureLogs(options: LoggerOptions = {}): CapturedLogger {
  let lines: string[] = [];
  const destination: DestinationStream = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') lines.push(line);
    },
  };
  const logger = createLogger({
    service: 'test',
    level: 'trace',
    flushOnExit: false,
    ...options,
    destination,
  });
  const parsed = () => lines.map((l) => JSON.parse(l) as LogLine);
  return {
    logger,
    lines: parsed,
    raw: () => [...lines],
    find: (msg) =>
      parsed().filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))),
    clear: () => {
      lines = [];
    },
  };
}
