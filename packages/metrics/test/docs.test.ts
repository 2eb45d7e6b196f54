import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
// src/mixin belongs to the monitoring mixin (docs/mixin.md); its codes are checked there.
const source = readdirSync(join(root, 'src'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(root, 'src', f), 'utf8'))
  .join('\n');
const ENV = /^IMMO_METRICS_(SERVICE|VERSION|MAX_SERIES|RUNTIME|EXEMPLARS|ENABLED)$/;

describe('documentation', () => {
  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(source.match(/IMMO_METRICS_[A-Z_]+(?=')/g)?.filter((c) => !ENV.test(c)));
    const table = readme.slice(readme.indexOf('## Errors'));
    const inDocs = new Set(table.match(/`(IMMO_METRICS_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBeGreaterThan(0);
  });

  it('documents every environment variable the options read', () => {
    const vars = source.match(/'IMMO_METRICS_(SERVICE|VERSION|MAX_SERIES|RUNTIME|EXEMPLARS|ENABLED)'/g) ?? [];
    expect(vars.length).toBe(6);
    for (const v of vars) expect(readme).toContain(v.slice(1, -1));
  });

  it('lists every metric name the source defines in the metric table', () => {
    const code = source
      .split('\n')
      .filter((l) => !l.trim().startsWith('*'))
      .join('\n');
    const names = new Set(code.match(/\bname: '([a-z_]+)'/g)?.map((m) => m.slice(7, -1)));
    for (const name of names) {
      if (name.startsWith('nodejs_eventloop_delay_')) continue; // documented as one row
      expect(readme, name).toMatch(new RegExp(`\\|\\s*\`${name}\``));
    }
    expect(names.size).toBeGreaterThan(20);
  });
});
