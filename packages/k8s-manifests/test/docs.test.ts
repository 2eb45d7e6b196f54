import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_INFO } from '../src/index.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const source = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(root, 'src', f), 'utf8'))
  .join('\n');

describe('documentation', () => {
  it('documents every check id with its reason in the check table', () => {
    const table = readme.slice(readme.indexOf('### Checks'), readme.indexOf('## API'));
    // One row per check: id, source, reason (cells padded by the formatter).
    const rows = new Map(
      table
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()))
        .map((cells) => [cells[1]!.slice(1, -1), cells]),
    );
    for (const c of CHECK_INFO) {
      expect(rows.get(c.id)?.slice(2, 4), c.id).toEqual([c.source, c.reason.replace(/\|/g, '\\|')]);
    }
    expect(CHECK_INFO.length).toBeGreaterThan(30);
    expect(new Set(CHECK_INFO.map((c) => c.id)).size).toBe(CHECK_INFO.length);
  });

  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(
      source
        .match(/'IMMO_K8S_[A-Z_]+'/g)
        ?.map((c) => c.slice(1, -1))
        .filter((c) => c !== 'IMMO_K8S_PROMTOOL'),
    );
    const table = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Compatibility'));
    const inDocs = new Set(table.match(/`(IMMO_K8S_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
  });
});
