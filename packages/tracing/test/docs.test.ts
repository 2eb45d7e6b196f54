import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../src/options.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const source = readdirSync(join(root, 'src'))
  .map((f) => readFileSync(join(root, 'src', f), 'utf8'))
  .join('\n');

describe('documentation', () => {
  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(
      source.match(/IMMO_(?:TRACING|SENTRY)_[A-Z_]+(?=['"`:])/g)?.filter((c) => !ENV_VARIABLES.includes(c)),
    );
    const table = readme.slice(readme.indexOf('## Errors'));
    const inDocs = new Set(table.match(/`(IMMO_(?:TRACING|SENTRY)_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBe(5);
  });

  it('documents every environment variable it reads, and reads every one it lists', () => {
    for (const v of ENV_VARIABLES) expect(readme).toContain(`\`${v}\``);
    const read = new Set(
      source
        .match(/(?:env\.|')((?:IMMO_TRACING|IMMO_SENTRY|OTEL|SENTRY|K8S)_[A-Z_]+)(?=['\s),;.?])/g)
        ?.map((m) => m.replace(/^env\.|^'/, ''))
        .filter((v) => !/_(?:INVALID|ALREADY|NOT_INSTALLED)/.test(v)),
    );
    expect(read.size).toBeGreaterThan(20);
    for (const v of read) expect(ENV_VARIABLES).toContain(v);
  });

  it('documents every metric registerTracingMetrics creates', () => {
    const names = source.match(/name: '(immo_tracing_[a-z_]+)'/g)?.map((m) => m.slice(7, -1)) ?? [];
    expect(names).toHaveLength(3);
    for (const n of names) expect(readme).toMatch(new RegExp(`\\|\\s*\`${n}\`\\s*\\|`));
  });
});
