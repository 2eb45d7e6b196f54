// Markdown renderers shared by run.mjs and report.mjs.
import { fmt, fmtRatio } from './stats.mjs';

export function httpTable(result) {
  const { baseline, summary } = result;
  const rows = [
    `| variant | CPU µs/req | req/s | server CPU use | p50 ms | p95 ms | p99 ms | CPU/req vs ${baseline} (median [min–max], IQR) | req/s vs ${baseline} (median [min–max], IQR) | log lines/req |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |',
  ];
  for (const [v, s] of Object.entries(summary)) {
    rows.push(
      `| ${v} | ${fmt(s.cpuUsPerReq.median, 1)} | ${fmt(s.reqPerSec.median, 0)} | ${fmt(s.serverCpuUtil.median * 100, 0)} % | ${fmt(s.p50Ms.median)} | ${fmt(s.p95Ms.median)} | ${fmt(s.p99Ms.median)} | ${fmtRatio(s.cpuRatioVsBaseline)} | ${fmtRatio(s.reqPerSecRatioVsBaseline)} | ${fmt(s.linesPerRequest.median, 2)} |`,
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
