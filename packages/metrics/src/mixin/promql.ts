/** The metric names of the contract the mixin is built on (see the package README). */
export const REQUEST_DURATION = 'http_server_request_duration_seconds';
export const ACTIVE_REQUESTS = 'http_server_active_requests';

/** 5xx responses; `error_type` would also catch client errors counted as failures by other libraries. */
export const SERVER_ERROR = 'http_response_status_code=~"5.."';

/** `metric{m1, m2}`, dropping empty matchers; `metric` alone when none is left. */
export function vector(metric: string, ...matchers: string[]): string {
  const m = matchers.filter((x) => x.length > 0).join(', ');
  return m ? `${metric}{${m}}` : metric;
}

/** `sum by (labels) (inner)` */
export function sumBy(labels: readonly string[], inner: string): string {
  return `sum by (${labels.join(', ')}) (${inner})`;
}
