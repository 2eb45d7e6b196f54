/**
 * Thrown when a system tool a test needs (postgres, prometheus, verdaccio, ...) is not installed.
 *
 * @example
 * ```ts
 * try { findTool('promtool'); } catch (e) { if (e instanceof ToolMissingError) console.log(e.install); }
 * ```
 */
export class ToolMissingError extends Error {
  readonly code = 'TOOL_MISSING';
  /** The tool's short name, e.g. `postgres`. */
  readonly tool: string;
  /** The command that installs it, e.g. `apt-get install -y postgresql`. */
  readonly install: string;

  constructor(tool: string, install: string, options?: { cause?: unknown }) {
    super(`${tool} not found — install with: ${install}`, options);
    this.name = 'ToolMissingError';
    this.tool = tool;
    this.install = install;
  }
}

/**
 * Thrown when a server did not become ready: it exited, or did not answer before the deadline.
 * The message ends with the last lines the server printed.
 *
 * @example
 * ```ts
 * await startPrometheus({ config: 'not: [valid' }).catch((e: ServerStartError) => console.log(e.code, e.output));
 * ```
 */
export class ServerStartError extends Error {
  /** `SERVER_EXITED` when the process ended during start-up, `SERVER_START_TIMEOUT` when it never became ready. */
  readonly code: 'SERVER_EXITED' | 'SERVER_START_TIMEOUT' | 'SERVER_SETUP_FAILED';
  /** The server's name, e.g. `prometheus`. */
  readonly server: string;
  /** The last lines the process printed (stdout and stderr interleaved). */
  readonly output: string;

  constructor(
    server: string,
    code: ServerStartError['code'],
    reason: string,
    output: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${server} failed to start: ${reason}${output ? `\n--- last output of ${server} ---\n${output}` : ''}`,
      options,
    );
    this.name = 'ServerStartError';
    this.code = code;
    this.server = server;
    this.output = output;
  }
}

/**
 * Thrown by a receiver's `waitForSpans` / `waitForEvents` when what the test waited for had not arrived
 * before the deadline (`RECEIVER_TIMEOUT`) or the receiver was stopped first (`RECEIVER_STOPPED`). The
 * message lists what did arrive, also in `received`.
 *
 * @example
 * ```ts
 * await otlp.waitForSpans((s) => s.some((x) => x.name === 'GET /'), 2_000).catch((e: ReceiverWaitError) => console.log(e.received));
 * ```
 */
export class ReceiverWaitError extends Error {
  readonly code: 'RECEIVER_TIMEOUT' | 'RECEIVER_STOPPED';
  /** The receiver's name, `otlp-receiver` or `sentry-receiver`. */
  readonly receiver: string;
  /** What had arrived: span names (OTLP) or one summary per event (Sentry), oldest first. */
  readonly received: readonly string[];

  constructor(
    receiver: string,
    code: ReceiverWaitError['code'],
    reason: string,
    received: readonly string[],
    errors: readonly string[] = [],
  ) {
    const got = received.length ? received.map((r) => JSON.stringify(r)).join(', ') : 'nothing';
    const bad = errors.length ? `; rejected requests: ${errors.join(' | ')}` : '';
    super(`${receiver}: ${reason}; received ${received.length}: ${got}${bad}`);
    this.name = 'ReceiverWaitError';
    this.code = code;
    this.receiver = receiver;
    this.received = received;
  }
}
