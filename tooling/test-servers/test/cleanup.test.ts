import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, requireTools } from '../src/index.ts';
import { runFixture } from './fixtures/run-fixture.ts';
import { eventually, portIsFree } from './helpers.ts';

const tools = requireTools('test-servers cleanup', ['alertmanager']);

describe('freePort', () => {
  it('returns a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await portIsFree(port)).toBe(true);
  });
});

describe.skipIf(!tools.ok)('cleanup of a crashed test run', () => {
  it('stops the server and removes its folder when the test process is SIGKILLed', async () => {
    const run = runFixture('crash.fixture.ts', {});
    const stateFile = join(run.dir, 'state.json');
    const state = await eventually(async () =>
      existsSync(stateFile)
        ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; port: number; dir: string })
        : undefined,
    );
    expect(await portIsFree(state.port)).toBe(false);
    process.kill(state.pid, 'SIGKILL');
    await eventually(
      async () => ((await portIsFree(state.port)) && !existsSync(state.dir) ? true : undefined),
      20_000,
    );
    run.child.kill('SIGKILL');
    await run.done;
  });
});
