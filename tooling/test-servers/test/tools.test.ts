import { describe, expect, it } from 'vitest';
import { findTool, requireTools, ToolMissingError, toolPath, toolsRequired } from '../src/index.ts';
import { runFixture } from './fixtures/run-fixture.ts';

const SKIP_LINE =
  'skipping fixture suite: immo-no-such-tool not found — install with: apt-get install -y immo-no-such-tool';

describe('findTool', () => {
  it('finds a tool on PATH', () => {
    const sh = findTool('sh');
    expect(sh.ok).toBe(true);
    expect(sh.path).toMatch(/\/sh$/);
  });

  it('reports a missing tool with how to install it', () => {
    const t = findTool('immo-no-such-tool', { install: 'apt-get install -y immo-no-such-tool' });
    expect(t).toEqual({
      name: 'immo-no-such-tool',
      ok: false,
      path: undefined,
      install: 'apt-get install -y immo-no-such-tool',
    });
  });

  it('knows the install command of the tools the repo uses', () => {
    expect(findTool('promtool').install).toBe('apt-get install -y prometheus');
    expect(findTool('amtool').install).toBe('apt-get install -y prometheus-alertmanager');
    expect(findTool('postgres').install).toBe('apt-get install -y postgresql');
    expect(findTool('verdaccio').install).toBe('cd tooling/registry && npm install');
  });

  it('honours an override variable and says when it points nowhere', () => {
    const before = process.env.PROMTOOL_BIN;
    process.env.PROMTOOL_BIN = '/nonexistent/promtool';
    try {
      const t = findTool('promtool');
      expect(t.ok).toBe(false);
      expect(t.install).toContain('PROMTOOL_BIN=/nonexistent/promtool');
    } finally {
      if (before === undefined) delete process.env.PROMTOOL_BIN;
      else process.env.PROMTOOL_BIN = before;
    }
  });
});

describe('toolPath', () => {
  it('throws ToolMissingError with a stable code for a missing tool', () => {
    const err = (() => {
      try {
        toolPath('immo-no-such-tool', { install: 'apt-get install -y immo-no-such-tool' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ToolMissingError);
    expect(err).toMatchObject({
      code: 'TOOL_MISSING',
      tool: 'immo-no-such-tool',
      message: 'immo-no-such-tool not found — install with: apt-get install -y immo-no-such-tool',
    });
  });
});

describe('toolsRequired', () => {
  it('is on for IMMO_REQUIRE_TOOLS=1 or true only', () => {
    expect(toolsRequired({ IMMO_REQUIRE_TOOLS: '1' })).toBe(true);
    expect(toolsRequired({ IMMO_REQUIRE_TOOLS: 'true' })).toBe(true);
    expect(toolsRequired({ IMMO_REQUIRE_TOOLS: '0' })).toBe(false);
    expect(toolsRequired({})).toBe(false);
  });
});

describe('requireTools', () => {
  it('prints one skip line and reports not ok when a tool is missing locally', () => {
    const lines: string[] = [];
    const check = requireTools('fixture suite', ['sh', 'immo-no-such-tool'], {
      install: { 'immo-no-such-tool': 'apt-get install -y immo-no-such-tool' },
      required: false,
      log: (l) => lines.push(l),
    });
    expect(check.ok).toBe(false);
    expect(check.missing.map((t) => t.name)).toEqual(['immo-no-such-tool']);
    expect(lines).toEqual([SKIP_LINE]);
    expect(check.path('sh')).toMatch(/\/sh$/);
    expect(() => check.path('immo-no-such-tool')).toThrow(ToolMissingError);
  });

  it('says nothing and reports ok when every tool is there', () => {
    const lines: string[] = [];
    const check = requireTools('fixture suite', 'sh', { required: false, log: (l) => lines.push(l) });
    expect(check.ok).toBe(true);
    expect(lines).toEqual([]);
  });

  it('skips the suite with one line in a local run (no IMMO_REQUIRE_TOOLS)', async () => {
    const { code, output, report } = await runFixture('missing-tool.fixture.ts', {}).done;
    expect(code, output).toBe(0);
    expect(report).toMatchObject({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 1 });
    expect(output.split('\n').filter((l) => l.includes('skipping fixture suite'))).toEqual([SKIP_LINE]);
  });

  it('fails with a failed test in the JSON report under IMMO_REQUIRE_TOOLS=1', async () => {
    const { code, output, report } = await runFixture('missing-tool.fixture.ts', { IMMO_REQUIRE_TOOLS: '1' })
      .done;
    expect(code, output).toBe(1);
    expect(report).toMatchObject({ numPassedTests: 0, numFailedTests: 1 });
    const failed = report!.testResults.flatMap((f) => f.assertionResults).find((a) => a.status === 'failed');
    expect(failed?.title).toBe('fixture suite: requires immo-no-such-tool (IMMO_REQUIRE_TOOLS=1)');
    expect(failed?.failureMessages.join('\n')).toContain(
      'immo-no-such-tool not found — install with: apt-get install -y immo-no-such-tool',
    );
    expect(output).not.toContain('skipping fixture suite');
  });
});
