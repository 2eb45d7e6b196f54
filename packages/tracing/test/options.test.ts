import { createRedactor } from '@immo/redact';
import { describe, expect, it } from 'vitest';
import { kubernetesAttributes, scrubAttributes, scrubUrl, TracingOptionsError } from '../src/index.js';
import { parseKeyValueList, resolveTracingOptions, tracesUrl } from '../src/options.js';
import { resourceAttributes } from '../src/resource.js';

describe('options: explicit > IMMO_TRACING_* > OTEL_* > default', () => {
  it('has working defaults', () => {
    const o = resolveTracingOptions({}, {});
    expect(o).toMatchObject({
      serviceName: 'unknown_service:node',
      serviceVersion: '0.0.0',
      environment: 'development',
      otlpEndpoint: undefined,
      otlpProtocol: 'http/protobuf',
      sampleRatio: 1,
      enabled: true,
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      scheduledDelayMs: 5000,
      exportTimeoutMs: 10000,
      requestIdHeader: 'x-request-id',
    });
  });

  it('reads the standard OTEL_* variables', () => {
    const o = resolveTracingOptions(
      {},
      {
        OTEL_SERVICE_NAME: 'billing-api',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.version=1.4.2,deployment.environment.name=staging,team=payments%20core',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_BSP_MAX_QUEUE_SIZE: '4096',
      },
    );
    expect(o).toMatchObject({
      serviceName: 'billing-api',
      serviceVersion: '1.4.2',
      environment: 'staging',
      otlpEndpoint: 'http://collector:4318/v1/traces',
      otlpHeaders: { 'x-api-key': 'abc==' },
      otlpProtocol: 'http/json',
      sampleRatio: 0.25,
      maxQueueSize: 4096,
    });
    expect(o.resourceAttributes.team).toBe('payments core');
  });

  it('lets IMMO_TRACING_* win over OTEL_* and explicit options win over both', () => {
    const env = {
      OTEL_SERVICE_NAME: 'from-otel',
      IMMO_TRACING_SERVICE_NAME: 'from-immo',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://a:4318/custom/path',
      IMMO_TRACING_SAMPLE_RATIO: '0.5',
      OTEL_TRACES_SAMPLER: 'always_off',
    };
    expect(resolveTracingOptions({}, env)).toMatchObject({
      serviceName: 'from-immo',
      otlpEndpoint: 'http://a:4318/custom/path',
      sampleRatio: 0.5,
    });
    expect(resolveTracingOptions({ serviceName: 'explicit', sampleRatio: 0.1 }, env)).toMatchObject({
      serviceName: 'explicit',
      sampleRatio: 0.1,
    });
  });

  it('switches off through OTEL_SDK_DISABLED or IMMO_TRACING_ENABLED', () => {
    expect(resolveTracingOptions({}, { OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(resolveTracingOptions({}, { IMMO_TRACING_ENABLED: 'false' }).enabled).toBe(false);
  });

  it('reports every problem at once, with the variable it came from, without echoing secrets', () => {
    let err: unknown;
    try {
      resolveTracingOptions(
        {
          sampleRatio: 2,
          otlpEndpoint: 'ftp://x',
          maxQueueSize: 10,
          maxExportBatchSize: 20,
          bogus: true,
        } as never,
        {
          IMMO_TRACING_ENABLED: 'maybe',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_BSP_SCHEDULE_DELAY: 'soon',
        },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TracingOptionsError);
    const e = err as TracingOptionsError;
    expect(e.code).toBe('IMMO_TRACING_INVALID_OPTIONS');
    const text = e.issues.join('\n');
    expect(text).toContain('sampleRatio: expected <= 1, received number 2');
    expect(text).toContain('otlpEndpoint: expected an http(s) URL');
    expect(text).toContain('enabled: expected boolean, received "maybe" (from IMMO_TRACING_ENABLED)');
    expect(text).toContain(
      'otlpProtocol: expected one of "http/protobuf", "http/json", received "grpc" (from OTEL_EXPORTER_OTLP_PROTOCOL)',
    );
    expect(text).toContain(
      'scheduledDelayMs: expected number, received "soon" (from OTEL_BSP_SCHEDULE_DELAY)',
    );
    expect(text).toContain('maxExportBatchSize: expected at most maxQueueSize');
    expect(text).toContain('bogus');
    expect(e.issues.length).toBeGreaterThanOrEqual(7);
  });

  it('builds the traces URL from a base URL', () => {
    expect(tracesUrl('http://c:4318')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('http://c:4318/')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('http://c:4318/otlp/v1/traces')).toBe('http://c:4318/otlp/v1/traces');
  });

  it('parses k=v lists leniently, dropping malformed entries', () => {
    expect(parseKeyValueList('a=1, b = two ,bad,=x,c=%E0%A4%A')).toEqual({ a: '1', b: 'two' });
  });
});

describe('resource attributes', () => {
  it('takes Kubernetes attributes from the Downward API variables', () => {
    const env = {
      K8S_POD_NAME: 'api-7d9f',
      POD_NAMESPACE: 'billing',
      K8S_NODE_NAME: 'node-1',
      K8S_CONTAINER_NAME: 'api',
      K8S_POD_UID: 'uid-1',
    };
    expect(kubernetesAttributes(env)).toEqual({
      'k8s.pod.name': 'api-7d9f',
      'k8s.namespace.name': 'billing',
      'k8s.node.name': 'node-1',
      'k8s.container.name': 'api',
      'k8s.pod.uid': 'uid-1',
    });
    const r = resourceAttributes(
      { serviceName: 's', serviceVersion: '1', environment: 'prod', resourceAttributes: {} },
      env,
    );
    expect(r).toMatchObject({
      'service.name': 's',
      'service.version': '1',
      'deployment.environment.name': 'prod',
      'service.instance.id': 'uid-1',
    });
    expect(kubernetesAttributes({})).toEqual({});
  });
});

describe('scrubbing span attributes', () => {
  const r = createRedactor();
  it('censors sensitive keys, PII in values and in arrays, and keeps clean attributes as the same object', () => {
    const clean = { 'http.route': '/api/orgs/:id', 'http.response.status_code': 200 };
    expect(scrubAttributes(clean, r)).toBe(clean);
    expect(
      scrubAttributes(
        {
          'http.request.header.authorization': ['Bearer abc'],
          'app.token': 't',
          note: ['x', 'ann@example.com'],
        },
        r,
      ),
    ).toEqual({
      'http.request.header.authorization': '[REDACTED]',
      'app.token': '[REDACTED]',
      note: ['x', '[REDACTED:email]'],
    });
  });

  it('judges URL query parameters by name and removes user-info passwords', () => {
    expect(scrubUrl('https://u:pw@h/p?api_key=1&q=ann%40example.com&x=2#f', r)).toBe(
      'https://u:[REDACTED]@h/p?api_key=[REDACTED]&q=[REDACTED:email]&x=2#f',
    );
    expect(scrubUrl('session=abc&page=1', r)).toBe('session=abc&page=1');
    expect(scrubUrl('password=abc&page=1', r)).toBe('password=[REDACTED]&page=1');
  });
});
