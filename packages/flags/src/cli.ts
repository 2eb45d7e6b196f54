#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { hashToken } from './admin.js';
import { parseText, validateFlagFile } from './config.js';
import { type LintReport, lintFlags } from './lint.js';
import { defineFlags, type FlagRegistry, isFlagRegistry } from './registry.js';

const USAGE = `Usage:
  immo-flags lint <registry> [--now YYYY-MM-DD] [--warn-days N] [--json]
      Checks the flag declarations: naming convention, owner, expiry; lists every flag past its
      expiry. <registry> is a built module exporting a defineFlags() result (default export, "flags",
      or any export), or a JSON/YAML declaration file ({ flags: { <key>: { type, owner, ... } } }).
  immo-flags check <flag file> --registry <registry> [--json]
      Validates a flag file (the ConfigMap's YAML/JSON) against the declarations.
  immo-flags token [operator]
      Prints a new random admin token and the SHA-256 hash to configure for it.
Exit codes: 0 ok, 1 findings, 2 usage or input errors.`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function isCodedError(err: unknown): err is Error & { code: string; issues: string[] } {
  return (err as Error)?.name === 'FlagsError' && Array.isArray((err as { issues?: unknown }).issues);
}

/** Loads declarations: a registry from a module, or plain declarations from a JSON/YAML file. */
async function loadDeclarations(file: string): Promise<FlagRegistry | Record<string, unknown>> {
  const abs = path.resolve(file);
  if (/\.(json|ya?ml)$/i.test(file)) {
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      fail(`cannot read ${file}: ${(err as { code?: string }).code ?? 'error'}`);
    }
    const parsed = parseText(text);
    if (!parsed.ok) fail(`${file}: ${parsed.issues.join('; ')}`);
    const v = parsed.value as Record<string, unknown> | null;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      fail(`${file}: expected an object of flag declarations`);
    const flags = v.flags ?? v;
    if (flags === null || typeof flags !== 'object' || Array.isArray(flags))
      fail(`${file}: "flags" is not an object`);
    return flags as Record<string, unknown>;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    if (isCodedError(err)) throw err;
    fail(`cannot import ${file}: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  const found = [mod.default, mod.flags, ...Object.values(mod)].find(isFlagRegistry);
  if (found === undefined)
    fail(`${file} exports no defineFlags() result (as default, "flags" or any named export)`);
  return found;
}

function printLint(report: LintReport, source: string): void {
  for (const f of report.findings) {
    process.stdout.write(`${source}: ${f.severity} ${f.code} ${f.flag}: ${f.message} — fix: ${f.fix}\n`);
  }
  if (report.expired.length > 0) {
    process.stdout.write(`\nPast their expiry (${report.now}):\n`);
    for (const e of report.expired) {
      process.stdout.write(
        `  ${e.flag.padEnd(40)} expired ${e.expires} (${e.daysOverdue} day(s) ago), owner ${e.owner || '-'}\n`,
      );
    }
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  process.stdout.write(
    `immo-flags lint: ${report.flags} flag(s), ${errors} error(s), ${report.findings.length - errors} warning(s), ${report.expired.length} expired\n`,
  );
}

async function lint(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      now: { type: 'string' },
      'warn-days': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) fail(`lint takes one registry module or declaration file\n${USAGE}`);
  let now: Date | undefined;
  if (values.now !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.now) || Number.isNaN(Date.parse(`${values.now}T00:00:00Z`))) {
      fail('--now: expected a date YYYY-MM-DD');
    }
    now = new Date(`${values.now}T00:00:00Z`);
  }
  let warnDays: number | undefined;
  if (values['warn-days'] !== undefined) {
    if (!/^\d{1,4}$/.test(values['warn-days'])) fail('--warn-days: expected a whole number of days');
    warnDays = Number(values['warn-days']);
  }
  const source = positionals[0] as string;
  const report = lintFlags(await loadDeclarations(source), { now, warnDays });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printLint(report, source);
  return report.ok ? 0 : 1;
}

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { registry: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1 || values.registry === undefined)
    fail(`check takes one flag file and --registry\n${USAGE}`);
  const declarations = await loadDeclarations(values.registry);
  const registry = isFlagRegistry(declarations) ? declarations : defineFlags(declarations as never);
  const file = positionals[0] as string;
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as { code?: string }).code ?? 'error'}`);
  }
  const parsed = parseText(text);
  const result = parsed.ok ? validateFlagFile(registry, parsed.value) : parsed;
  const issues = result.ok ? [] : result.issues;
  const warnings = result.ok ? result.warnings : [];
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: result.ok, issues, warnings }, null, 2)}\n`);
  else {
    for (const i of issues) process.stdout.write(`${file}: error IMMO_FLAGS_INVALID_FILE ${i}\n`);
    for (const w of warnings) process.stdout.write(`${file}: warning ${w}\n`);
    process.stdout.write(`immo-flags check: ${issues.length} error(s), ${warnings.length} warning(s)\n`);
  }
  return result.ok ? 0 : 1;
}

function token(args: string[]): number {
  const name = args[0] ?? 'operator';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name))
    fail('token: the operator name is letters, digits, "_", ".", "@" or "-"');
  const t = randomBytes(32).toString('base64url');
  process.stdout.write(
    `token (give to ${name}, keep secret): ${t}\nsha256 (configure as tokens.${name}): ${hashToken(t)}\n`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lint':
      return lint(rest);
    case 'check':
      return check(rest);
    case 'token':
      return token(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`immo-flags: ${err.message}\n`);
    else if (isCodedError(err)) process.stderr.write(`immo-flags: ${err.code}: ${err.message}\n`);
    else if (
      typeof (err as { code?: unknown })?.code === 'string' &&
      String((err as { code: string }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`immo-flags: ${(err as Error).message}\n${USAGE}\n`);
    } else process.stderr.write(`immo-flags: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
