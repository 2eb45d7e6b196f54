import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureLogs } from '@immo/logger/testing';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  alloyLogsConfig,
  grafanaDatasources,
  grafanaDatasourcesConfigMap,
  type K8sManifestsError,
  LOG_FIELDS,
  type ObservabilityOptions,
} from '../src/index.js';

const options: ObservabilityOptions = {
  prometheusUrl: 'http://prometheus-operated.monitoring:9090',
  lokiUrl: 'http://loki-gateway.monitoring',
  tempoUrl: 'http://tempo.monitoring:3200',
  namespaces: ['billing', 'billing-staging'],
};

/** The field names of @immo/logger's documented log schema (its README table). */
function loggerSchemaFields(): string[] {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'logger', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Log schema'), readme.indexOf('## The correlation id'));
  return [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!);
}

type DS = { uid: string; type: string; jsonData: Record<string, unknown> };

describe('grafanaDatasources', () => {
  const ds = grafanaDatasources(options) as { apiVersion: number; datasources: DS[] };
  const byType = Object.fromEntries(ds.datasources.map((d) => [d.type, d]));

  it('links every datasource to uids that exist', () => {
    const uids = new Set(ds.datasources.map((d) => d.uid));
    const refs = [...JSON.stringify(ds).matchAll(/"datasourceUid":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(6);
    for (const r of refs) expect(uids).toContain(r);
    expect(ds.apiVersion).toBe(1);
  });

  it('opens the trace of an exemplar (the label @immo/metrics writes) and of a log line', async () => {
    const prom = byType.prometheus!.jsonData as {
      exemplarTraceIdDestinations: Array<{ name: string; datasourceUid: string }>;
    };
    expect(prom.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: 'tempo' }]);
    const metricSource = readFileSync(
      join(import.meta.dirname, '..', '..', 'metrics', 'src', 'metric.ts'),
      'utf8',
    );
    expect(metricSource).toContain('# {trace_id="');

    // A real line from @immo/logger inside a span context carries trace_id; the derived field finds it.
    const loki = byType.loki!.jsonData as {
      derivedFields: Array<{ matcherRegex: string; datasourceUid: string; url: string }>;
    };
    const { logger, raw } = captureLogs({ service: 'sample-app' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    logger.info({ trace_id: traceId, span_id: '00f067aa0ba902b7' }, 'billing run started');
    const line = raw()[0]!;
    const m = new RegExp(loki.derivedFields[0]!.matcherRegex).exec(line);
    expect(m?.[1]).toBe(traceId);
    expect(loki.derivedFields[0]!.url).toBe('$${__value.raw}');
  });

  it('escapes Grafana variables from provisioning-file environment expansion', () => {
    const tempo = byType.tempo!.jsonData as { tracesToLogsV2: { query: string; datasourceUid: string } };
    expect(tempo.tracesToLogsV2.datasourceUid).toBe('loki');
    expect(tempo.tracesToLogsV2.query).not.toMatch(/(?<!\$)\$\{/);
  });

  it('wraps them in the ConfigMap the Grafana sidecar provisions', () => {
    const cm = grafanaDatasourcesConfigMap(options, { namespace: 'monitoring' }) as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.metadata.labels.grafana_datasource).toBe('1');
    expect(YAML.parse(cm.data['immo-datasources.yaml']!)).toEqual(grafanaDatasources(options));
  });

  it('refuses bad URLs and uids, listing every problem', () => {
    let err: K8sManifestsError | undefined;
    try {
      grafanaDatasources({ ...options, lokiUrl: 'loki', uids: { tempo: 'has space' } });
    } catch (e) {
      err = e as K8sManifestsError;
    }
    expect(err?.issues.map((i) => i.split(':')[0])).toEqual(['lokiUrl', 'uids.tempo']);
  });
});

describe('alloyLogsConfig', () => {
  const config = alloyLogsConfig(options);

  it("keeps exactly the logger's schema fields: low-cardinality ones as labels, ids as structured metadata", () => {
    const schema = loggerSchemaFields();
    expect(schema).toEqual(expect.arrayContaining(['time', 'level', 'service', 'request_id', 'trace_id']));
    const extracted = [
      ...config
        .slice(config.indexOf('stage.json'))
        .split('}')[0]!
        .matchAll(/^\s+([a-z_]+) = "([a-z_]+)",$/gm),
    ];
    for (const [, name, source] of extracted) {
      expect(name).toBe(source);
      expect(schema, `${name} is not in @immo/logger's log schema`).toContain(name);
    }
    expect(extracted.map((m) => m[1])).toEqual([
      ...LOG_FIELDS.labels,
      ...LOG_FIELDS.metadata,
      LOG_FIELDS.time,
    ]);
    expect(LOG_FIELDS.labels).not.toContain('trace_id');
    expect(LOG_FIELDS.labels).not.toContain('request_id');
  });

  it('is well formed: balanced blocks, every component wired to the next, the Loki push URL', () => {
    expect(config.split('{').length).toBe(config.split('}').length);
    for (const ref of [
      'discovery.kubernetes.pods.targets',
      'discovery.relabel.pods.output',
      'loki.process.immo.receiver',
      'loki.write.default.receiver',
    ]) {
      expect(config).toContain(ref);
    }
    expect(config).toContain('url = "http://loki-gateway.monitoring/loki/api/v1/push"');
    expect(config).toContain('regex         = "billing|billing-staging"');
    expect(config).toContain('format = "RFC3339Nano"');
  });
});
