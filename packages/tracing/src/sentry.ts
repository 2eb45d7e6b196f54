import os from 'node:os';
import { createRedactor, type RedactOptions, type Redactor } from '@immo/redact';
import { z } from 'zod';
import { setServerErrorCapture } from './capture.js';
import { formatIssues, TracingOptionsError } from './errors.js';
import { envBoolean, resolveTracingOptions } from './options.js';
import { ownRequire } from './own-require.js';
import { kubernetesAttributes } from './resource.js';
import { getTracing, telemetryFlushers } from './tracing.js';

type SentryModule = typeof import('@sentry/node');
type SentryEvent = import('@sentry/node').ErrorEvent;
type Breadcrumb = import('@sentry/node').Breadcrumb;

/**
 * Options of {@link initSentry}. Each is read in one order: the explicit option, then its `SENTRY_*`
 * variable (the ones Sentry documents), then the value @immo/tracing uses, then the default.
 */
export interface SentryOptions {
  /** The DSN. Env: `SENTRY_DSN`. Without one, Sentry stays off and `initSentry` returns `undefined`. */
  dsn?: string;
  /**
   * `environment`. Env: `SENTRY_ENVIRONMENT`, then tracing's `environment` (`IMMO_TRACING_ENVIRONMENT`,
   * `OTEL_RESOURCE_ATTRIBUTES`, `NODE_ENV`).
   */
  environment?: string;
  /** `release`. Env: `SENTRY_RELEASE`, then `<serviceName>@<serviceVersion>` as tracing resolves them. */
  release?: string;
  /** `server_name`. Default: the Kubernetes pod name (`K8S_POD_NAME`, `POD_NAME`), else the host name. */
  serverName?: string;
  /** Share of errors sent, in (0, 1]. Env: `SENTRY_SAMPLE_RATE`. @default 1 */
  sampleRate?: number;
  /**
   * The PII policy run over every event and breadcrumb before it is sent (@immo/redact options). It
   * cannot be switched off: request bodies, cookies, headers and query strings are never sent either.
   * @default {}
   */
  redact?: RedactOptions;
  /** `false` keeps Sentry off even with a DSN. Env: `IMMO_SENTRY_ENABLED`. @default true */
  enabled?: boolean;
  /** Breadcrumbs kept (each redacted). @default 50 */
  maxBreadcrumbs?: number;
  /** Sentry's own debug output. Env: `SENTRY_DEBUG`. @default false */
  debug?: boolean;
  /**
   * When `@sentry/node` is loaded. `'lazy'` (the default): at the first event (a thrown 5xx, an
   * unhandled rejection, an uncaught exception) or the first read of `handle.Sentry`, so a service
   * that has no error pays neither its start-up time (about 260 ms on one core for its ~600 modules)
   * nor its memory (about 35 MB); the first event then waits for the load. `'eager'`: in
   * `initSentry()`. Use `'eager'` when your own code calls `@sentry/node` through its own import (an
   * event it sends before the load has no client) — or call it through `handle.Sentry`, which loads
   * it. An uncaught exception is captured and sent in both modes: in lazy mode by a listener of this
   * package that, when no other `uncaughtException` handler is registered, prints the error, flushes
   * and exits 1 as Node would (with one, e.g. @immo/health's, that handler decides and flushes).
   * Env: `IMMO_SENTRY_LOAD`.
   * @default 'lazy'
   */
  load?: 'eager' | 'lazy';
}

/** What {@link initSentry} returns. */
export interface SentryHandle {
  /**
   * The @sentry/node module the events go through (for `captureException` in your own code). In lazy
   * mode, reading it loads and initialises the SDK.
   */
  readonly Sentry: SentryModule;
  /** Whether `@sentry/node` has been loaded and initialised (always `true` in eager mode). */
  readonly loaded: boolean;
  /** Sends the queued events within `deadlineMs` (also part of @immo/tracing's `flush`). */
  flush(deadlineMs?: number): Promise<boolean>;
  /** Flushes and disables Sentry. */
  close(deadlineMs?: number): Promise<boolean>;
}

const schema = z
  .object({
    dsn: z
      .string()
      .refine(
        (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
        'a Sentry DSN URL (http or https)',
      ),
    environment: z.string().trim().min(1),
    release: z.string().trim().min(1),
    serverName: z.string().trim().min(1),
    sampleRate: z.number().gt(0).max(1),
    redact: z.object({}).passthrough(),
    enabled: z.boolean(),
    maxBreadcrumbs: z.number().int().min(0).max(1000),
    debug: z.boolean(),
    load: z.enum(['eager', 'lazy']),
  })
  .strict();

type ResolvedSentryOptions = z.infer<typeof schema>;

const kSentry = Symbol.for('@immo/tracing.sentry');
const g = globalThis as unknown as Record<symbol, SentryHandle | undefined>;

function bool(raw: string | undefined): unknown {
  return raw === undefined || raw === '' ? undefined : envBoolean(raw);
}

/**
 * Removes what must never leave the process, then runs the PII policy over the rest. Exported for
 * tests of your own `beforeSend`.
 * @internal
 */
export function scrubEvent<T extends SentryEvent>(event: T, r: Redactor): T {
  const e = event as SentryEvent;
  if (e.request !== undefined) {
    const { method, url } = e.request;
    // Only the method and the path survive: no body, cookies, headers, query string or environment.
    e.request = { ...(method ? { method } : {}), ...(url ? { url: url.split('?')[0] } : {}) };
  }
  if (e.user !== undefined) e.user = e.user.id !== undefined ? { id: e.user.id } : undefined;
  return r.redact(e) as T;
}

/**
 * Sets up `@sentry/node` (v11, an optional peer dependency) for errors only, on @immo/tracing's
 * OpenTelemetry pipeline: Sentry tracing off, no Sentry spans, propagation headers or http patching;
 * each event linked to the active trace (`contexts.trace`) through Sentry's `openTelemetryIntegration`;
 * every event and breadcrumb scrubbed with the @immo/redact policy, and request bodies, cookies,
 * headers and query strings never collected. Thrown 5xx errors of Fastify requests are captured by the
 * @immo/tracing Fastify plugin; `flush()` of @immo/tracing includes Sentry. Returns `undefined` when no
 * DSN is configured. Call it after `initTracing()` (the register entry does both).
 *
 * @throws {TracingOptionsError} `IMMO_SENTRY_INVALID_OPTIONS` listing every problem, or
 *   `IMMO_SENTRY_NOT_INSTALLED` when a DSN is set but `@sentry/node` is not installed.
 *
 * @example
 * ```ts
 * import { initSentry } from '@immo/tracing/sentry';
 * initSentry({ dsn: process.env.SENTRY_DSN }); // release, environment, server name from tracing's options
 * ```
 */
export function initSentry(
  options: SentryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): SentryHandle | undefined {
  const existing = g[kSentry];
  if (existing !== undefined) return existing;
  const tracing = getTracing()?.config ?? resolveTracingOptions({ enabled: false }, env);
  const k8s = kubernetesAttributes(env);
  const merged: Record<string, unknown> = {
    environment: env.SENTRY_ENVIRONMENT || tracing.environment,
    release: env.SENTRY_RELEASE || `${tracing.serviceName}@${tracing.serviceVersion}`,
    serverName: k8s['k8s.pod.name'] ?? os.hostname(),
    sampleRate: env.SENTRY_SAMPLE_RATE ? Number(env.SENTRY_SAMPLE_RATE) : 1,
    redact: {},
    enabled: bool(env.IMMO_SENTRY_ENABLED) ?? true,
    maxBreadcrumbs: 50,
    debug: bool(env.SENTRY_DEBUG) ?? false,
    load: env.IMMO_SENTRY_LOAD || 'lazy',
  };
  if (env.SENTRY_DSN) merged.dsn = env.SENTRY_DSN;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  if (merged.dsn === undefined || merged.enabled === false) return undefined;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    throw new TracingOptionsError(
      'IMMO_SENTRY_INVALID_OPTIONS',
      'Invalid @immo/tracing/sentry options',
      formatIssues(parsed.error, merged, {
        ...(env.SENTRY_DSN && options.dsn === undefined ? { dsn: 'SENTRY_DSN' } : {}),
        ...(env.IMMO_SENTRY_LOAD && options.load === undefined ? { load: 'IMMO_SENTRY_LOAD' } : {}),
      }),
    );
  }
  const o = parsed.data;
  const lazy = o.load === 'lazy';
  // Lazy: only resolved now, so that a missing package is still reported by initSentry().
  if (lazy) checkSentryInstalled();
  const redactor = createRedactor(o.redact as RedactOptions);
  let Sentry: SentryModule | undefined;
  const sdk = (): SentryModule => {
    if (Sentry === undefined) {
      const mod = loadSentry();
      mod.init(initOptions(mod, o, redactor, lazy));
      Sentry = mod;
    }
    return Sentry;
  };
  // Lazy mode installs no Sentry handler on the process, before or after the load: a monitor (which
  // never changes how the process crashes) loads the SDK if needed and captures the crash, and a
  // listener stands in for Sentry's own handler when it is the only one (below).
  const onCrash = (error: unknown): void => {
    try {
      sdk().captureException(error, {
        mechanism: { type: 'onuncaughtexception', handled: false },
        captureContext: { level: 'fatal' },
      } as never);
    } catch {
      // The crash goes on as it would without Sentry.
    }
  };
  // Registered at all, a listener stops Node's own crash; with another handler registered (e.g.
  // @immo/health's crash shutdown) that handler decides and flushes, so this one does nothing. Alone,
  // it does what Node would (print, exit 1) after sending the captured event, as Sentry's own
  // handler does in eager mode. The exit code is set first so that an emptied event loop cannot end
  // the process with 0, and a referenced timer bounds a flush that never settles.
  const onUncaught = (error: unknown): void => {
    if (process.listenerCount('uncaughtException') > 1) return;
    process.exitCode = 1;
    try {
      console.error(error);
    } catch {
      // Printing must not stop the exit.
    }
    const exit = () => process.exit(1);
    setTimeout(exit, CRASH_FLUSH_MS + 500);
    flush(CRASH_FLUSH_MS).then(exit, exit);
  };
  if (lazy) {
    process.on('uncaughtExceptionMonitor', onCrash);
    process.on('uncaughtException', onUncaught);
  } else sdk();

  setServerErrorCapture((error, request) => {
    sdk().captureException(error, {
      mechanism: { type: 'fastify', handled: false },
      // Tags go in captureContext: a hint with a scope key (tags) would be taken for a capture
      // context as a whole, and the mechanism dropped (the event would say "handled").
      captureContext: {
        tags: {
          'http.request.method': request.method,
          'http.route': request.route ?? '_UNMATCHED',
          'http.response.status_code': String(request.status),
          request_id: request.requestId,
        },
      },
    } as never);
  });
  watchUnhandledRejections(sdk);
  // Sentry's flush waits for processing and for the transport, each up to its timeout: half the
  // deadline each keeps the whole within it. Nothing loaded means nothing queued.
  const flush = async (deadlineMs = 2000) =>
    Sentry === undefined ? true : Sentry.flush(Math.max(1, Math.floor(deadlineMs / 2)));
  const flusher = (ms: number) => flush(ms);
  telemetryFlushers().add(flusher);
  const handle: SentryHandle = {
    get Sentry() {
      return sdk();
    },
    get loaded() {
      return Sentry !== undefined;
    },
    flush,
    close: async (deadlineMs = 2000) => {
      telemetryFlushers().delete(flusher);
      setServerErrorCapture(undefined);
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtExceptionMonitor', onCrash);
      process.off('uncaughtException', onUncaught);
      g[kSentry] = undefined;
      return Sentry === undefined ? true : Sentry.close(Math.max(1, Math.floor(deadlineMs / 2)));
    },
  };
  g[kSentry] = handle;
  return handle;
}

// How long a crash waits for its event to be sent when this package exits the process (lazy mode).
const CRASH_FLUSH_MS = 2000;

/** `@sentry/node`, loaded through this package's own resolution. */
function loadSentry(): SentryModule {
  try {
    return ownRequire('@sentry/node') as SentryModule;
  } catch (cause) {
    throw notInstalled(cause);
  }
}

/** Checks that `@sentry/node` can be loaded, without loading it. */
function checkSentryInstalled(): void {
  try {
    ownRequire.resolve('@sentry/node');
  } catch (cause) {
    throw notInstalled(cause);
  }
}

function notInstalled(cause: unknown): TracingOptionsError {
  return new TracingOptionsError(
    'IMMO_SENTRY_NOT_INSTALLED',
    '@sentry/node is not installed',
    ['dsn: a DSN is configured but @sentry/node (v11) cannot be loaded — npm install @sentry/node@11'],
    cause,
  );
}

function initOptions(
  Sentry: SentryModule,
  o: ResolvedSentryOptions,
  redactor: Redactor,
  lazy: boolean,
): Parameters<SentryModule['init']>[0] {
  return {
    dsn: o.dsn,
    environment: o.environment,
    release: o.release,
    serverName: o.serverName,
    sampleRate: o.sampleRate,
    maxBreadcrumbs: o.maxBreadcrumbs,
    debug: o.debug,
    // Tracing stays with OpenTelemetry: no traces sample rate (0 would count as "on"), no Sentry
    // provider, context manager or propagator, no loader hooks, no sentry-trace/baggage headers.
    enableOpenTelemetrySetup: false,
    enableRuntimeChannelInjection: false,
    tracePropagationTargets: [],
    traceLifecycle: 'static',
    sendClientReports: false,
    spotlight: false,
    defaultIntegrations: false,
    integrations: [
      Sentry.openTelemetryIntegration(),
      Sentry.eventFiltersIntegration(),
      Sentry.functionToStringIntegration(),
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.contextLinesIntegration(),
      Sentry.nodeContextIntegration(),
      // With @immo/health (or another handler) registered, Sentry only captures and the crash
      // shutdown decides when to exit; alone, it flushes and exits 1 like Node would. Lazy mode
      // captures crashes with its own monitor instead (see initSentry).
      ...(lazy
        ? []
        : [Sentry.onUncaughtExceptionIntegration({ exitEvenIfOtherHandlersAreRegistered: false })]),
    ],
    // v11's replacement of sendDefaultPii: its defaults collect bodies, cookies and headers.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    beforeSend: (event) => {
      try {
        return scrubEvent(event, redactor);
      } catch {
        // Never send an event the policy could not be applied to.
        return null;
      }
    },
    beforeBreadcrumb: (breadcrumb: Breadcrumb) => {
      try {
        return redactor.redact(breadcrumb);
      } catch {
        return null;
      }
    },
  } as Parameters<SentryModule['init']>[0];
}

let rejectionSentry: (() => SentryModule) | undefined;
function onRejection(reason: unknown): void {
  try {
    rejectionSentry?.().captureException(reason, {
      mechanism: { type: 'onunhandledrejection', handled: false },
    } as never);
  } catch {
    // Not capturable (Sentry could not be loaded): Node's own behaviour below still applies.
  }
  // Alone, this listener would stop Node's default (crash on an unhandled rejection); rethrown as an
  // uncaught exception it crashes as before, through the uncaught-exception path that flushes Sentry.
  if (
    process.listenerCount('unhandledRejection') === 1 &&
    !process.execArgv.some((a) => a.startsWith('--unhandled-rejections'))
  ) {
    process.nextTick(() => {
      throw reason instanceof Error
        ? reason
        : new Error(`Unhandled promise rejection: ${String(reason).slice(0, 200)}`);
    });
  }
}

function watchUnhandledRejections(sdk: () => SentryModule): void {
  rejectionSentry = sdk;
  process.off('unhandledRejection', onRejection);
  process.on('unhandledRejection', onRejection);
}

/**
 * @internal The register entry's call: Sentry from the environment when `SENTRY_DSN` is set and
 * `@sentry/node` is installed; a missing package is reported once on stderr, not thrown, because a
 * preload must not stop the service.
 */
export function initSentryFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.SENTRY_DSN) return;
  try {
    initSentry({}, env);
  } catch (error) {
    process.stderr.write(`@immo/tracing: Sentry not set up: ${(error as Error).message}\n`);
  }
}
