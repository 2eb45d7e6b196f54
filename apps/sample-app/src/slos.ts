import { addBuckets, HTTP_SERVER_DURATION_BUCKETS, JOB_DURATION_BUCKETS } from '@immo/metrics';
import { defineSlos, type SloSpec } from '@immo/slo';
import { RUNBOOKS } from './runbooks.js';

/** The latency SLO's threshold (p99 < 2 s in the rollout plan) must be a bucket boundary: 2 s is added. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = addBuckets(HTTP_SERVER_DURATION_BUCKETS, [2]);

/** The jobs whose runs the batch SLO counts; `declareJobs` exports their series at 0 from start-up. */
export const SLO_JOBS = ['billing_run'] as const;

const service = 'sample-app';
const alerting = { runbookUrl: `${RUNBOOKS}/{alert}.md` };

/**
 * The rollout plan's three SLOs (Phase 2), over a 30-day rolling window: 99.9% leaves 43.2 minutes
 * of budget (the plan's "43.8 min a month" is an average month of 30.44 days).
 */
export const sloSpecs: SloSpec[] = [
  {
    id: 'sample-app-availability',
    service,
    description: '99.9% of API requests answered without a 5xx over 30 days',
    owner: 'team-billing',
    objective: '99.9%',
    window: '30d',
    sli: {
      kind: 'ratio',
      bad: `http_server_request_duration_seconds_count{service="${service}", http_response_status_code=~"5.."}`,
      total: `http_server_request_duration_seconds_count{service="${service}"}`,
    },
    alerting,
  },
  {
    id: 'sample-app-latency',
    service,
    description: '99% of API requests answered within 2 s over 30 days (p99 < 2 s)',
    owner: 'team-billing',
    objective: '99%',
    window: '30d',
    sli: {
      kind: 'latency',
      metric: 'http_server_request_duration_seconds',
      selector: `{service="${service}"}`,
      threshold: 2,
      buckets: REQUEST_DURATION_BUCKETS,
    },
    alerting,
  },
  {
    id: 'billing-run',
    service,
    description: '99% of billing runs succeed within 30 minutes over 30 days (p99 < 30 min)',
    owner: 'team-billing',
    objective: '99%',
    window: '30d',
    sli: {
      kind: 'batch',
      job: 'billing_run',
      deadline: '30m',
      every: '1d',
      selector: `{service="${service}"}`,
      buckets: JOB_DURATION_BUCKETS,
    },
    alerting,
  },
];

/** The SLOs, validated (a bad spec fails at import, in every test and in the manifests render). */
export const slos = defineSlos(sloSpecs);
