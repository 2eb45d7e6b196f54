#!/usr/bin/env node
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { K8sManifestsError } from './errors.js';
import { readImageLock } from './image.js';
import type { ServiceDefinition } from './options.js';
import { renderAll } from './render-all.js';
import { CHECK_INFO } from './verify/checks.js';
import { formatFinding } from './verify/finding.js';
import { verifyManifests } from './verify/index.js';

const USAGE = `Usage:
  immo-k8s render <definition module> [--out DIR]
      Imports the module (its default export, or "service", is a defineService() result) and writes
      every environment's manifests to DIR/<environment> (DIR itself without environments). Default DIR: k8s
  immo-k8s verify <file or folder>... [--image-lock FILE] [--promtool PATH | --no-promtool] [--json]
      Checks the manifests; one line per finding; exit 1 when any error is found.
  immo-k8s checks
      Lists every check id with its reason.
Exit codes: 0 ok, 1 findings, 2 usage or input errors.`;

function fail(message: string): never {
  process.stderr.write(`immo-k8s: ${message}\n`);
  process.exit(2);
}

/**
 * Duck-typed: a definition module imports the package's index, a separate bundle from this CLI,
 * so its errors are not `instanceof` this file's class.
 */
function isCodedError(err: unknown): err is K8sManifestsError {
  return (
    err instanceof K8sManifestsError ||
    ((err as Error)?.name === 'K8sManifestsError' && Array.isArray((err as K8sManifestsError).issues))
  );
}

function isDefinition(v: unknown): v is ServiceDefinition {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ServiceDefinition).resolve === 'function' &&
    Array.isArray((v as ServiceDefinition).environments)
  );
}

async function render(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string', default: 'k8s' } },
  });
  if (positionals.length !== 1) fail(`render takes one definition module\n${USAGE}`);
  const file = path.resolve(positionals[0]!);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    if (isCodedError(err)) throw err;
    fail(`cannot import ${positionals[0]}: ${(err as Error).message.split('\n')[0]}`);
  }
  const definition = [mod.default, mod.service].find(isDefinition);
  if (!definition) fail(`${positionals[0]} exports no defineService() result (as default or "service")`);
  const written = renderAll(definition, values.out!);
  process.stdout.write(`immo-k8s: wrote ${written.length} files to ${values.out}\n`);
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'image-lock': { type: 'string' },
      promtool: { type: 'string' },
      'no-promtool': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) fail(`verify needs at least one file or folder\n${USAGE}`);
  const imageLock = values['image-lock'] ? readImageLock(values['image-lock']) : undefined;
  const result = await verifyManifests(positionals, {
    imageLock,
    promtool: values['no-promtool'] ? false : values.promtool,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const f of result.findings) process.stdout.write(`${formatFinding(f)}\n`);
    const errors = result.findings.filter((f) => f.severity === 'error').length;
    process.stdout.write(
      `immo-k8s verify: ${result.objects} objects in ${result.files} files, ${errors} error(s), ${result.findings.length - errors} warning(s)\n`,
    );
  }
  return result.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'render':
      return render(rest);
    case 'verify':
      return verify(rest);
    case 'checks':
      for (const c of CHECK_INFO) process.stdout.write(`${c.id.padEnd(24)} ${c.reason}\n`);
      return 0;
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
    // Our own coded errors (bad options, bad lock file) are user input problems: message only.
    if (isCodedError(err)) fail(`${err.code}: ${err.message}`);
    if (
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      fail(`${(err as Error).message}\n${USAGE}`);
    }
    process.stderr.write(`immo-k8s: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(2);
  },
);
