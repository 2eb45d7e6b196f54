import {
  DB_OPERATION_DURATION_BUCKETS,
  HTTP_CLIENT_DURATION_BUCKETS,
  HTTP_SERVER_DURATION_BUCKETS,
  JOB_DURATION_BUCKETS,
} from '@immo/metrics';
import * as mixin from '@immo/metrics/mixin';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';
import { KNOWN_HISTOGRAMS } from '../src/index.js';

describe('copies kept in step with @immo/metrics', () => {
  it('knows the default buckets of every histogram @immo/metrics defines', () => {
    expect(KNOWN_HISTOGRAMS).toEqual({
      http_server_request_duration_seconds: HTTP_SERVER_DURATION_BUCKETS,
      http_client_request_duration_seconds: HTTP_CLIENT_DURATION_BUCKETS,
      db_client_operation_duration_seconds: DB_OPERATION_DURATION_BUCKETS,
      immo_job_duration_seconds: JOB_DURATION_BUCKETS,
    });
  });
});

describe('durations', () => {
  it('agree with @immo/metrics/mixin on every form the specs and rules use', () => {
    for (const text of [
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '7d',
      '28d',
      '30d',
      '1h30m',
      '90s',
      '500ms',
      '1w',
      '1y',
      'x',
      '',
      '5',
      '1.5h',
    ]) {
      expect(parseDuration(text), text).toBe(mixin.parseDuration(text));
    }
    for (const ms of [0, 500, 1000, 60_000, 88_200_000, 3_600_000, 86_400_000, 2_592_000_000, 1234]) {
      expect(formatDuration(ms), String(ms)).toBe(mixin.formatDuration(ms));
    }
  });
});
