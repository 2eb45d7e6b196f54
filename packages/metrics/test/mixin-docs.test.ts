import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mixin from '../src/mixin/index.js';

const root = join(import.meta.dirname, '..');
const docs = readFileSync(join(root, 'docs/mixin.md'), 'utf8');
const sources = readdirSync(join(root, 'src/mixin'))
  .map((f) => readFileSync(join(root, 'src/mixin', f), 'utf8'))
  .join('\n');
const section = (heading: string) => {
  const start = docs.indexOf(`## ${heading}`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, end < 0 ? undefined : end);
};

/** Table rows of a markdown section as trimmed cells (alignment padding ignored). */
const rows = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );

describe('mixin documentation', () => {
  it('lists every recorded series with its recordedSeries key', () => {
    const table = rows(section('Recorded series')).map((r) => `${r[0]} ${r[1]}`);
    for (const [key, name] of Object.entries(mixin.recordedSeries)) {
      expect(table).toContain(`\`${name}\` \`${key}\``);
    }
  });

  it('lists every dashboard panel with its unit', () => {
    const table = rows(section('Overview dashboard')).map((r) => `${r[1]} ${r[2]}`);
    const queries = mixin.dashboardQueries(mixin.overviewDashboard());
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(table).toContain(`${q.panel} \`${q.unit}\``);
    }
  });

  it('documents every lint rule the source reports, and no other', () => {
    const inSource = new Set(
      sources.match(/\b(?:template|panel|target)-[a-z-]+-rule\b|\buneditable-dashboard\b/g),
    );
    const table = section('Dashboard linter rules');
    const inDocs = new Set(
      rows(table)
        .map((r) => r[0] ?? '')
        .filter((c) => /^`[a-z-]+`$/.test(c))
        .map((c) => c.slice(1, -1)),
    );
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBe(15);
  });

  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(sources.match(/IMMO_METRICS_[A-Z_]+(?=')/g));
    const inDocs = new Set(
      section('Errors')
        .match(/`(IMMO_METRICS_[A-Z_]+)`/g)
        ?.map((c) => c.slice(1, -1)),
    );
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBeGreaterThan(0);
  });

  it('mentions every runtime export in the API table', () => {
    const api = section('API');
    for (const name of Object.keys(mixin)) expect(api).toContain(`\`${name}`);
  });
});
