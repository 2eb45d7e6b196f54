import type { DestinationStream, Logger } from 'pino';

/** Settings of per-request debug buffering (see the plugin's `buffer` option). */
export interface BufferOptions {
  /**
   * The level a request's logger runs at while its lines below the configured level are held.
   * @default 'debug'
   */
  level: 'trace' | 'debug';
  /**
   * Held bytes per request; further lines are dropped and counted.
   * @default 65536
   */
  maxBytesPerRequest: number;
  /**
   * Held bytes across all requests in flight, so a burst of slow requests cannot exhaust memory.
   * @default 8388608
   */
  maxTotalBytes: number;
  /**
   * A request slower than this writes its held lines too.
   * @default 1000
   */
  slowThresholdMs: number;
}

export const kBufferThreshold = Symbol.for('@immo/logger.bufferThreshold');
export const kBuffer = Symbol.for('@immo/logger.buffer');
const kMetadata = Symbol.for('pino.metadata');

/** Shared accounting of held bytes across requests. */
export class BufferPool {
  total = 0;
  constructor(readonly options: BufferOptions) {}
}

/** The lines one request holds until it ends. */
export class RequestBuffer {
  private lines: string[] = [];
  private bytes = 0;
  dropped = 0;

  constructor(private readonly pool: BufferPool) {}

  push(line: string): void {
    const n = line.length;
    if (
      this.bytes + n > this.pool.options.maxBytesPerRequest ||
      this.pool.total + n > this.pool.options.maxTotalBytes
    ) {
      this.dropped += 1;
      return;
    }
    this.lines.push(line);
    this.bytes += n;
    this.pool.total += n;
  }

  /** Gives back the held lines (in order) and releases their bytes from the pool. */
  drain(): string[] {
    const lines = this.lines;
    this.pool.total -= this.bytes;
    this.lines = [];
    this.bytes = 0;
    return lines;
  }
}

type BufferedLogger = Logger & { [kBufferThreshold]?: number; [kBuffer]?: RequestBuffer };

/**
 * Wraps the real destination. pino tells a stream flagged with `pino.metadata` which logger and
 * level wrote each line (`lastLogger`, `lastLevel`), so lines of a buffering request logger that
 * are below the configured level are held in that request's buffer; every other line passes
 * straight through. Without buffering this wrapper is not installed at all.
 */
export function bufferingDestination(inner: DestinationStream): DestinationStream {
  const flushable = inner as DestinationStream & {
    flush?: (cb?: (err?: Error) => void) => void;
    flushSync?: () => void;
    end?: () => void;
  };
  const dest = {
    [kMetadata]: true,
    lastLevel: 0,
    lastLogger: undefined as BufferedLogger | undefined,
    write(line: string) {
      const logger = dest.lastLogger;
      const threshold = logger?.[kBufferThreshold];
      if (threshold !== undefined && dest.lastLevel < threshold) {
        logger?.[kBuffer]?.push(line);
        return true;
      }
      return inner.write(line);
    },
    flush(cb?: (err?: Error) => void) {
      if (typeof flushable.flush === 'function') flushable.flush(cb);
      else cb?.();
    },
    flushSync() {
      flushable.flushSync?.();
    },
    end() {
      flushable.end?.();
    },
    inner,
  };
  return dest as unknown as DestinationStream;
}
