// Markdown renderers shared by run.mjs and report.mjs.
import { fmt, fmtRatio } from './stats.mjs';

export function httpTable(result) {
  const { baseline, summary } = result;
  // Results from before the telemetry sink have no span counts: no column for them.
  const spans = Object.values(summary).some((s) => s.spansPerRequest !== undefined);
  const rows = [
    `| variant | CPU µs/req | req/s | server CPU use | p50 ms | p95 ms | p99 ms | CPU/req vs ${baseline} (median [min–max], IQR) | req/s vs ${baseline} (median [min–max], IQR) | log lines/req |${spans ? ' spans exported/req |' : ''}`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |${spans ? ' ---: |' : ''}`,
  ];
  for (const [v, s] of Object.entries(summary)) {
    const spanCell = spans
      ? ` ${Number.isFinite(s.spansPerRequest?.median) ? fmt(s.spansPerRequest.median, 2) : 'n/a'} |`
      : '';
    rows.push(
      `| ${v} | ${fmt(s.cpuUsPerReq.median, 1)} | ${fmt(s.reqPerSec.median, 0)} | ${fmt(s.serverCpuUtil.median * 100, 0)} % | ${fmt(s.p50Ms.median)} | ${fmt(s.p95Ms.median)} | ${fmt(s.p99Ms.median)} | ${fmtRatio(s.cpuRatioVsBaseline)} | ${fmtRatio(s.reqPerSecRatioVsBaseline)} | ${fmt(s.linesPerRequest.median, 2)} |${spanCell}`,
    );
  }
  return rows.join('\n');
}

export function instructionsTable(result) {
  const rows = [
    `| variant | instructions/req (median) | min–max | vs ${result.baseline}: median paired ratio [min–max], IQR | log lines/req |`,
    '| --- | ---: | ---: | --- | ---: |',
  ];
  for (const [v, s] of Object.entries(result.summary)) {
    rows.push(
      `| ${v} | ${fmt(s.instructionsPerReq.median / 1000, 1)} k | ${fmt(s.instructionsPerReq.min / 1000, 1)}–${fmt(s.instructionsPerReq.max / 1000, 1)} k | ${fmtRatio(s.ratioVsBaseline)} | ${fmt(s.linesPerRequest.median)} |`,
    );
  }
  return rows.join('\n');
}

/** Start-up time and RSS per variant (startup.mjs). */
export function startupTable(result) {
  const { baseline, summary } = result;
  const rows = [
    `| variant | start-up to first ready 200, ms (median [min–max]) | vs ${baseline} (median paired ratio [min–max]) | RSS after warm-up load, MB (median [min–max]) | vs ${baseline}, MB (median paired difference [min–max]) | RSS at ready, MB | peak RSS, MB |`,
    '| --- | --- | --- | --- | --- | ---: | ---: |',
  ];
  for (const [v, s] of Object.entries(summary)) {
    rows.push(
      `| ${v} | ${fmt(s.readyMs.median, 0)} [${fmt(s.readyMs.min, 0)}–${fmt(s.readyMs.max, 0)}] | ${fmt(s.readyRatioVsBaseline.median)}x [${fmt(s.readyRatioVsBaseline.min)}–${fmt(s.readyRatioVsBaseline.max)}] | ${fmt(s.rssMB.median, 1)} [${fmt(s.rssMB.min, 1)}–${fmt(s.rssMB.max, 1)}] | ${s.rssDiffVsBaselineMB.median >= 0 ? '+' : ''}${fmt(s.rssDiffVsBaselineMB.median, 1)} [${fmt(s.rssDiffVsBaselineMB.min, 1)}–${fmt(s.rssDiffVsBaselineMB.max, 1)}] | ${fmt(s.rssAtReadyMB.median, 1)} | ${fmt(s.hwmMB.median, 1)} |`,
    );
  }
  return rows.join('\n');
}

/** One row per sink mode (resilience.mjs). */
export function resilienceTable(result) {
  const rows = [
    '| telemetry sink | req/s delivered | failed requests | p50 ms | p99 ms | p99 vs ok | RSS first → last (max), MB | RSS slope, 2nd half, MB/min | warning lines | "span export" lines | spans exported / dropped (queue full / export failed), export failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const m of result.modes) {
    const t = m.tracingStats;
    const stats = t
      ? `${t.exported} / ${t.droppedQueueFull} / ${t.droppedExportFailed}, ${t.exportFailures}`
      : 'n/a';
    rows.push(
      `| ${m.mode} | ${fmt(m.reqPerSec, 0)} | ${m.failedRequests} | ${fmt(m.latencyMs.p50)} | ${fmt(m.latencyMs.p99)} | ${fmt(m.p99RatioVsOk)}x | ${fmt(m.rss.firstMB, 1)} → ${fmt(m.rss.lastMB, 1)} (${fmt(m.rss.maxMB, 1)}) | ${fmt(m.rss.slopeSecondHalfMBPerMin)} | ${m.warningLines} | ${m.spanExportLines} | ${stats} |`,
    );
  }
  return rows.join('\n');
}
