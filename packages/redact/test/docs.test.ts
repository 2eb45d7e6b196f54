import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CENSOR, DEFAULT_KEYS, REDACT_MARKERS } from '../src/index.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  expect(start, `README section "${title}"`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
}

const CODE = /IMMO_REDACT_[A-Z_]+/g;

describe('README', () => {
  it('documents every error code in the error table when the code appears in src/', () => {
    const inSource = new Set(
      sourceFiles(join(root, 'src')).flatMap((f) => readFileSync(f, 'utf8').match(CODE) ?? []),
    );
    // Environment variable names share the prefix but are not error codes.
    inSource.delete('IMMO_REDACT_EXTRA_KEYS');
    const table = section('Error codes');
    const inTable = new Set(
      table
        .split('\n')
        .filter((line) => /^\|\s*`IMMO_/.test(line))
        .map((line) => line.match(CODE)?.[0]),
    );
    expect([...inSource].sort()).toEqual([...inTable].sort());
    expect(inSource.size).toBeGreaterThan(0);
  });

  it('lists every default key rule when DEFAULT_KEYS changes', () => {
    const list = section('Default key rules');
    // Tables may be re-aligned by the formatter, so cells are matched with any padding.
    const firstCells = list.split('\n').map((line) => line.match(/^\|\s*`([^`]+)`\s*\|/)?.[1]);
    for (const rule of DEFAULT_KEYS) {
      if (typeof rule === 'string') expect(firstCells).toContain(rule);
      else expect(list).toContain(String(rule));
    }
  });

  it('documents every marker and the censor when they are part of the contract', () => {
    for (const marker of Object.values(REDACT_MARKERS)) expect(readme).toContain(`\`${marker}\``);
    expect(readme).toContain(`\`${CENSOR}\``);
  });

  it('documents the environment variable when the source reads one', () => {
    expect(section('Options')).toContain('IMMO_REDACT_EXTRA_KEYS');
  });
});
