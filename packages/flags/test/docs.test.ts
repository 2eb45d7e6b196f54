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
      source
        .match(/IMMO_FLAGS_[A-Z_]+(?=['"`:])/g)
        ?.filter((c) => !ENV_VARIABLES.includes(c) && c !== 'IMMO_FLAGS_'),
    );
    const table = readme.slice(readme.indexOf('## Errors'));
    const inDocs = new Set(table.match(/`(IMMO_FLAGS_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBeGreaterThan(12);
  });

  it('documents every environment variable the options read', () => {
    for (const v of ENV_VARIABLES) expect(readme).toContain(`\`${v}\``);
    expect(readme).toContain('`IMMO_FLAGS_<KEY>`');
  });

  it('documents every metric the package records', () => {
    const names = source.match(/name: '(immo_flags_[a-z_]+)'/g)?.map((m) => m.slice(7, -1)) ?? [];
    expect(names).toHaveLength(5);
    for (const n of names) expect(readme).toMatch(new RegExp(`\\|\\s*\`${n}\`\\s*\\|`));
  });
});
