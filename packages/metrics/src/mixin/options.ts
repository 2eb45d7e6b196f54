import { z } from 'zod';
import { formatIssues, MixinError } from './errors.js';

const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const MATCHER = `${LABEL}\\s*(?:=~|!~|!=|=)\\s*"(?:[^"\\\\]|\\\\.)*"`;
const SELECTOR_RE = new RegExp(`^\\s*(?:${MATCHER}(?:\\s*,\\s*${MATCHER})*\\s*,?)?\\s*$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);

const selector = z
  .string()
  .regex(SELECTOR_RE, 'label matchers like job="api", env=~"prod|staging" (double-quoted values)');

const window = z
  .string()
  .regex(/^[1-9][0-9]*[smhdwy]$/, 'a single-unit Prometheus duration like "5m" or "1h"');

/**
 * Options of {@link recordingRules}.
 *
 * @example
 * ```ts
 * const options: RecordingRulesOptions = { selector: 'job="sample-app"', windows: ['5m', '1h'] };
 * ```
 */
export interface RecordingRulesOptions {
  /**
   * Extra label matchers added to every selector of the rules, without braces.
   * @default '' (all scraped series)
   * @example 'job="sample-app"'
   */
  selector?: string;
  /**
   * The rate windows to record; each window gets its own rule group and series named
   * `...:rate<window>`, `...:p95_<window>`. Longer windows are what multi-window burn-rate alerts read.
   * @default ['5m']
   * @example ['5m', '30m', '1h', '6h']
   */
  windows?: string[];
  /**
   * Evaluation interval of the groups.
   * @default Prometheus' global `evaluation_interval`
   * @example '30s'
   */
  interval?: string;
  /**
   * Labels kept in every aggregation next to `service` (and `http_route`), e.g. to keep clusters or
   * namespaces apart in a shared Prometheus. The series names keep the `service`/`service_route` level.
   * @default []
   * @example ['namespace']
   */
  groupBy?: string[];
}

/**
 * Options of {@link overviewDashboard}.
 *
 * @example
 * ```ts
 * const options: OverviewDashboardOptions = { title: 'Billing API', uid: 'billing-http', selector: 'namespace="prod"' };
 * ```
 */
export interface OverviewDashboardOptions {
  /**
   * The dashboard title.
   * @default 'HTTP server overview'
   */
  title?: string;
  /**
   * The dashboard uid (at most 40 letters, digits, `-`, `_`): keeps links stable across imports.
   * @default 'immo-http-overview'
   */
  uid?: string;
  /**
   * Dashboard tags.
   * @default ['immo', 'http']
   */
  tags?: string[];
  /**
   * Extra label matchers added to every panel query and variable query, without braces.
   * @default ''
   * @example 'namespace="prod"'
   */
  selector?: string;
  /**
   * Auto-refresh interval.
   * @default '30s'
   */
  refresh?: string;
  /**
   * Start of the default time range.
   * @default 'now-1h'
   */
  from?: string;
}

export interface ResolvedRecordingRulesOptions {
  selector: string;
  windows: string[];
  interval: string | undefined;
  groupBy: string[];
}

export interface ResolvedOverviewDashboardOptions {
  title: string;
  uid: string;
  tags: string[];
  selector: string;
  refresh: string;
  from: string;
}

const RESERVED_GROUP_BY = new Set(['service', 'http_route', 'le']);

const rulesSchema = z.strictObject({
  selector: selector.optional(),
  windows: z
    .array(window)
    .min(1, 'at least one window')
    .refine((w) => new Set(w).size === w.length, 'windows without duplicates')
    .optional(),
  interval: z
    .string()
    .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration like "30s"')
    .optional(),
  groupBy: z
    .array(
      z
        .string()
        .regex(LABEL_RE, 'a label name')
        .refine((l) => !l.startsWith('__'), 'a label name not starting with "__"')
        .refine((l) => !RESERVED_GROUP_BY.has(l), 'a label other than service, http_route and le'),
    )
    .optional(),
});

const dashboardSchema = z.strictObject({
  title: z.string().trim().min(1, 'a non-empty title').optional(),
  uid: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'at most 40 letters, digits, "-" or "_"')
    .optional(),
  tags: z.array(z.string().min(1)).optional(),
  selector: selector.optional(),
  refresh: z
    .string()
    .regex(/^[1-9][0-9]*[smhd]$/, 'a refresh interval like "30s"')
    .optional(),
  from: z.string().min(1).optional(),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new MixinError('IMMO_METRICS_INVALID_MIXIN_OPTIONS', what, formatIssues(result.error, input));
  }
  return result.data;
}

/** Explicit options, else defaults; the mixin is built at deploy time, so no environment variables. */
export function resolveRulesOptions(
  options: RecordingRulesOptions | undefined,
): ResolvedRecordingRulesOptions {
  const o = parse(rulesSchema, options, 'Invalid recordingRules() options');
  return {
    selector: o.selector?.replace(/\s*,?\s*$/, '').trim() ?? '',
    windows: o.windows ?? ['5m'],
    interval: o.interval,
    groupBy: o.groupBy ?? [],
  };
}

export function resolveDashboardOptions(
  options: OverviewDashboardOptions | undefined,
): ResolvedOverviewDashboardOptions {
  const o = parse(dashboardSchema, options, 'Invalid overviewDashboard() options');
  return {
    title: o.title ?? 'HTTP server overview',
    uid: o.uid ?? 'immo-http-overview',
    tags: o.tags ?? ['immo', 'http'],
    selector: o.selector?.replace(/\s*,?\s*$/, '').trim() ?? '',
    refresh: o.refresh ?? '30s',
    from: o.from ?? 'now-1h',
  };
}
