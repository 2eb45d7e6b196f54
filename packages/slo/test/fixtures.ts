import type { SloSpec } from '../src/index.js';

/** One SLO of each kind, as a service would write them. */
export const availability: SloSpec = {
  id: 'api-availability',
  service: 'api',
  objective: '99.9%',
  window: '30d',
  sli: {
    kind: 'ratio',
    bad: 'http_server_request_duration_seconds_count{service="api", http_response_status_code=~"5.."}',
    total: 'http_server_request_duration_seconds_count{service="api"}',
  },
  alerting: { runbookUrl: 'https://runbooks.example/{alert}.md' },
};

export const latency: SloSpec = {
  id: 'api-latency',
  service: 'api',
  objective: 0.99,
  window: '28d',
  sli: {
    kind: 'latency',
    metric: 'http_server_request_duration_seconds',
    selector: '{service="api"}',
    threshold: 2,
    buckets: [0.1, 0.5, 1, 2, 5],
  },
};

export const goodRatio: SloSpec = {
  id: 'checkout-success',
  service: 'shop',
  objective: 0.9995,
  window: '7d',
  sli: { kind: 'ratio', good: 'checkout_total{outcome!~"error|timeout"}', total: 'checkout_total' },
};

export const probe: SloSpec = {
  id: 'web-probe',
  service: 'web',
  objective: '99.5%',
  window: '30d',
  sli: { kind: 'boolean', selector: 'probe_success{job="blackbox"}' },
};

export const billing: SloSpec = {
  id: 'billing-run',
  service: 'api',
  objective: 0.99,
  window: '30d',
  sli: { kind: 'batch', job: 'billing_run', deadline: '30m', every: '1d' },
};
