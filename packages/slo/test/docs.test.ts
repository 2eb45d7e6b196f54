import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BURN_WINDOWS, burnRateSeries, SLO_ALERTS, SLO_SERIES } from '../src/index.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const source = readdirSync(join(root, 'src'))
  .map((f) => readFileSync(join(root, 'src', f), 'utf8'))
  .join('\n');

describe('documentation', () => {
  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(
      source
        .match(/IMMO_SLO_[A-Z_]+(?=['"`:])/g)
        ?.filter((c) => !c.endsWith('_URL') && c !== 'IMMO_SLO_PROMTOOL'),
    );
    const table = readme.slice(readme.indexOf('## Errors'));
    const inDocs = new Set(table.match(/`(IMMO_SLO_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBe(4);
  });

  it('documents every environment variable the CLI reads', () => {
    const vars = new Set(source.match(/process\.env\.(IMMO_SLO_[A-Z_]+)/g)?.map((m) => m.slice(12)));
    expect(vars.size).toBe(2);
    for (const v of vars) expect(readme).toContain(`\`${v}\``);
  });

  it('documents every recorded series and alert', () => {
    for (const s of Object.values(SLO_SERIES)) expect(readme, s).toContain(`\`${s}`);
    for (const w of BURN_WINDOWS) expect(readme).toContain(`\`${w}\``);
    expect(readme).toContain(`\`${burnRateSeries('5m').replace('5m', '<w>')}\``);
    for (const a of Object.values(SLO_ALERTS)) expect(readme).toMatch(new RegExp(`\\|\\s*\`${a}\`\\s*\\|`));
  });
});
