import type { FlagsLintCode } from './errors.js';
import {
  type FlagDeclaration,
  type FlagRegistry,
  type FlagType,
  isFlagRegistry,
  PERMANENT_FLAG_TYPES,
  registryIssues,
} from './registry.js';

/** One problem the lint found. */
export interface LintFinding {
  code: FlagsLintCode;
  severity: 'error' | 'warning';
  flag: string;
  message: string;
  fix: string;
}

/** A flag past (or near) its expiry. */
export interface ExpiredFlag {
  flag: string;
  owner: string;
  expires: string;
  /** Days since the expiry date (0 on the day itself). */
  daysOverdue: number;
}

/** The result of {@link lintFlags}. */
export interface LintReport {
  /** No finding of severity `error`. */
  ok: boolean;
  flags: number;
  /** The date the check ran for, `YYYY-MM-DD`. */
  now: string;
  findings: LintFinding[];
  /** Every non-permanent flag past its expiry, most overdue first. */
  expired: ExpiredFlag[];
}

/** Options of {@link lintFlags}. */
export interface LintOptions {
  /** The date to check expiry against. @default new Date() */
  now?: Date;
  /** Warn about flags expiring within this many days. @default 14 */
  warnDays?: number;
}

/** The suffix each flag type's key must end with (release and ops flags have none, and may not use these). */
export const TYPE_SUFFIXES: Readonly<Record<FlagType, string | null>> = {
  'kill-switch': '-kill-switch',
  experiment: '-experiment',
  permission: '-permission',
  release: null,
  ops: null,
};

/** `<area>-<what>`: lower-case kebab-case, two to six words, at most 63 characters. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+){1,5}$/;
const OWNER_PATTERN = /^[a-z0-9@][a-z0-9@/._-]{1,63}$/i;
const DAY = 86_400_000;

/** Checks a key against the naming convention; returns what is wrong, or null. */
export function nameProblem(key: string, type: FlagType | undefined): string | null {
  if (key.length > 63) return 'longer than 63 characters';
  if (!NAME_PATTERN.test(key)) return 'not kebab-case <area>-<what> (2 to 6 words of a-z, 0-9)';
  const suffix = type === undefined ? null : TYPE_SUFFIXES[type];
  if (suffix !== null && (!key.endsWith(suffix) || key === suffix.slice(1)))
    return `a ${type} flag's key ends with "${suffix}" after an area`;
  if (suffix === null) {
    const taken = Object.values(TYPE_SUFFIXES).find((s) => s !== null && key.endsWith(s));
    if (taken)
      return `"${taken}" is reserved for ${Object.entries(TYPE_SUFFIXES).find(([, s]) => s === taken)?.[0]} flags`;
  }
  return null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Checks declarations against the conventions: the naming rule, an owner on every flag, an expiry
 * on every non-permanent flag, and no flag past its expiry (kill switches and permission flags are
 * permanent and never stale). Takes a registry from `defineFlags` or plain declarations (a parsed
 * JSON/YAML declaration file). This is what `immo-flags lint` runs.
 *
 * @example
 * ```ts
 * const report = lintFlags(flags, { now: new Date('2027-03-02') });
 * report.expired; // [{ flag: 'payments-new-allocation', owner: 'team-payments', expires: '2027-03-01', daysOverdue: 1 }]
 * ```
 */
export function lintFlags(
  input: FlagRegistry | Record<string, unknown>,
  options: LintOptions = {},
): LintReport {
  const now = options.now ?? new Date();
  const warnDays = options.warnDays ?? 14;
  const declarations: Record<string, unknown> = isFlagRegistry(input)
    ? (input.flags as Record<string, unknown>)
    : input;
  const findings: LintFinding[] = [];
  const expired: ExpiredFlag[] = [];
  const today = Date.parse(`${day(now)}T00:00:00Z`);
  const all = Object.keys(declarations).length === 0 ? [] : registryIssues(declarations);
  for (const [key, raw] of Object.entries(declarations)) {
    const d = (raw ?? {}) as Partial<FlagDeclaration> & Record<string, unknown>;
    const type =
      typeof d.type === 'string' && (d.type as string) in TYPE_SUFFIXES ? (d.type as FlagType) : undefined;
    const name = nameProblem(key, type);
    if (name !== null) {
      findings.push({
        code: 'IMMO_FLAGS_LINT_NAME',
        severity: 'error',
        flag: key,
        message: `key "${key.slice(0, 80)}" is ${name}`,
        fix: 'rename it to <area>-<what> in kebab-case, e.g. payments-new-allocation, billing-run-kill-switch',
      });
    }
    if (typeof d.owner !== 'string' || !OWNER_PATTERN.test(d.owner.trim())) {
      findings.push({
        code: 'IMMO_FLAGS_LINT_OWNER',
        severity: 'error',
        flag: key,
        message:
          typeof d.owner === 'string' && d.owner.trim() !== '' ? 'owner is not a team handle' : 'no owner',
        fix: 'set owner to the team that removes the flag, e.g. team-payments',
      });
    }
    const structure = all.filter(
      (line) =>
        (line.startsWith(`${key}.`) || line.startsWith(`${key}:`)) && !line.startsWith(`${key}.owner:`),
    );
    const permanent = type !== undefined && PERMANENT_FLAG_TYPES.includes(type);
    const noExpiry = !permanent && type !== undefined && d.expires === undefined;
    for (const line of structure) {
      if (noExpiry && line.startsWith(`${key}.expires:`)) continue;
      findings.push({
        code: 'IMMO_FLAGS_LINT_DECLARATION',
        severity: 'error',
        flag: key,
        message: line,
        fix: 'correct the declaration',
      });
    }
    if (noExpiry) {
      findings.push({
        code: 'IMMO_FLAGS_LINT_EXPIRY',
        severity: 'error',
        flag: key,
        message: `a ${type} flag has no expiry date`,
        fix: 'add expires: YYYY-MM-DD (the date by which the flag is removed)',
      });
    }
    if (permanent || typeof d.expires !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d.expires)) continue;
    const expires = Date.parse(`${d.expires}T00:00:00Z`);
    if (Number.isNaN(expires)) continue;
    const owner = typeof d.owner === 'string' ? d.owner : '';
    if (today >= expires) {
      const daysOverdue = Math.round((today - expires) / DAY);
      expired.push({ flag: key, owner, expires: d.expires, daysOverdue });
      findings.push({
        code: 'IMMO_FLAGS_LINT_STALE',
        severity: 'error',
        flag: key,
        message: `expired on ${d.expires} (${daysOverdue} day(s) ago)`,
        fix: `remove the flag and its code paths (owner: ${owner || 'none'}), or move expires with a reason in the change`,
      });
    } else if (expires - today <= warnDays * DAY) {
      findings.push({
        code: 'IMMO_FLAGS_LINT_EXPIRING',
        severity: 'warning',
        flag: key,
        message: `expires on ${d.expires} (in ${Math.round((expires - today) / DAY)} day(s))`,
        fix: 'plan its removal',
      });
    }
  }
  expired.sort((a, b) => b.daysOverdue - a.daysOverdue || a.flag.localeCompare(b.flag));
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    flags: Object.keys(declarations).length,
    now: day(now),
    findings,
    expired,
  };
}
