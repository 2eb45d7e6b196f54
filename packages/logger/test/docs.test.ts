import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const source = readdirSync(join(root, 'src'))
  .map((f) => readFileSync(join(root, 'src', f), 'utf8'))
  .join('\n');

describe('documentation', () => {
  it('documents every error code used in the source, and no other', () => {
    const inSource = new Set(
      source
        .match(/IMMO_LOGGER_[A-Z_]+(?=')/g)
        ?.filter(
          (c) => !c.match(/^IMMO_LOGGER_(SERVICE|VERSION|ENV|LEVEL|ENABLED|REDACT|DESTINATION|SYNC|TRACE)$/),
        ),
    );
    const table = readme.slice(readme.indexOf('## Errors'));
    const inDocs = new Set(table.match(/`(IMMO_LOGGER_[A-Z_]+)`/g)?.map((c) => c.slice(1, -1)));
    expect([...inSource].sort()).toEqual([...inDocs].sort());
    expect(inSource.size).toBeGreaterThan(0);
  });

  it('documents every environment variable the options read', () => {
    for (const v of source.match(
      /'IMMO_LOGGER_(SERVICE|VERSION|ENV|LEVEL|ENABLED|REDACT|DESTINATION|SYNC|TRACE)'/g,
    ) ?? []) {
      expect(readme).toContain(v.slice(1, -1));
    }
  });

  it('documents every field of the log schema that the source writes', () => {
    for (const field of [
      'time',
      'level',
      'msg',
      'service',
      'version',
      'env',
      'request_id',
      'trace_id',
      'span_id',
      'trace_flags',
      'route',
      'method',
      'path',
      'status_code',
      'duration_ms',
      'err',
      'pid',
      'hostname',
    ]) {
      expect(readme).toMatch(new RegExp(`\\|\\s*\`${field}\`\\s*\\|`));
    }
  });
});
