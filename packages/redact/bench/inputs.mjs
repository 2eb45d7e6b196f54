// Inputs shared by run.mjs (wall time) and workload.mjs (instruction counts), so both describe the
// same work. Plain data, no imports.

export const clean = {
  msg: 'request completed',
  level: 30,
  time: 1732712345678,
  service: 'billing',
  request_id: '550e8400-e29b-41d4-a716-446655440000',
  route: '/api/orgs/:id',
  method: 'GET',
  status_code: 200,
  duration_ms: 12.4,
  user: { id: 'u_123', org: 'org_42' },
};

export const withPii = {
  msg: 'payment from ann@example.com failed',
  level: 50,
  time: 1732712345678,
  service: 'billing',
  request_id: '550e8400-e29b-41d4-a716-446655440000',
  route: '/api/payments',
  headers: { authorization: 'Bearer abc.def.ghi', 'user-agent': 'curl/8.5' },
  payer_account: 'DE89 3704 0044 0532 0130 00',
  card: '4111 1111 1111 1111',
  duration_ms: 48.1,
};

export const message =
  'Allocated payment 2024-11-27 of 1234.56 EUR to lease L-2024-0042 for tenant #4411 (3 items)';

// The same shapes with values that change from call to call, as ids and timestamps do in real logs:
// 64 objects and 64 messages taken in turn, so no value is the one seen at its position last time.
const hex = (i, width) => (0x5a17c3e9 * (i + 1)).toString(16).padStart(width, '0').slice(-width);
export const cleanRotating = Array.from({ length: 64 }, (_, i) => ({
  ...clean,
  time: clean.time + i * 7919,
  request_id: `${hex(i, 8)}-${hex(i + 1, 4)}-4${hex(i + 2, 3)}-a${hex(i + 3, 3)}-${hex(i, 6)}${hex(i + 4, 6)}`,
  duration_ms: 3.5 + i,
  user: { id: `u_${100 + i}`, org: `org_${(0x8f3a2c + i * 977).toString(16)}` },
}));
// Equal lengths on purpose: a message memo indexed by length then compares before it misses.
export const messagesRotating = Array.from(
  { length: 64 },
  (_, i) =>
    `Allocated payment 2024-11-${String((i % 28) + 1).padStart(2, '0')} of ${1000 + i}.56 EUR to lease L-2024-${String(i).padStart(4, '0')} for tenant #${4400 + i} (3 items)`,
);

// Short strings that make up most log field values.
export const hotStrings = [
  'org_8f3a2c',
  '550e8400-e29b-41d4-a716-446655440000',
  'INV-2026-000123',
  'paid',
  '/api/orgs/:id',
  '2026-11-27T12:34:56.789Z',
  '1234.56',
  '1732712345678',
];

export const loggerPii = {
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMTIzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  email: 'anna.schmidt@example.de',
  iban: 'DE89370400440532013000',
  password: 'hunter2-Secret!',
  token: 'tok_live_51HxYzAbCdEfGhIjKl',
};
/** The paths @immo/logger's bench gives pino's own `redact` for the same objects (the list). */
export const pinoRedactPaths = [
  'req.headers.authorization',
  '*.password',
  '*.token',
  'user.email',
  'payment.iban',
];
/** The 64 objects @immo/logger's bench logs in turn (packages/logger/bench/run.mjs imports them): ids,
 * URLs and references differ between them, so their strings are scanned rather than remembered. */
export const loggerRotating = Array.from({ length: 64 }, (_, i) => ({
  org_id: `org_${(0x8f3a2c + i).toString(16)}`,
  invoice_id: `inv_2024_${String(100_000 + i).padStart(6, '0')}`,
  amount_cents: 129_900 + i * 17,
  currency: 'EUR',
  status: i % 5 === 0 ? 'partially_allocated' : 'allocated',
  route: '/api/orgs/:id/payments',
  attempt: 1 + (i % 3),
  req: {
    method: 'POST',
    url: `/api/orgs/org_${i}/payments`,
    headers: {
      authorization: loggerPii.authorization,
      'user-agent': 'immo-billing/3.2.1',
      'content-type': 'application/json',
    },
  },
  user: { id: `usr_${1000 + i}`, email: loggerPii.email, password: loggerPii.password, role: 'accountant' },
  payment: {
    iban: loggerPii.iban,
    token: loggerPii.token,
    reference: `Miete 2024-${String((i % 12) + 1).padStart(2, '0')} Whg ${i}`,
    due: '2024-06-01',
  },
}));
export const loggerObject = {
  org_id: 'org_8f3a2c',
  invoice_id: 'inv_2024_100000',
  amount_cents: 129_900,
  currency: 'EUR',
  status: 'allocated',
  route: '/api/orgs/:id/payments',
  attempt: 1,
  req: {
    method: 'POST',
    url: '/api/orgs/org_0/payments',
    headers: {
      authorization: loggerPii.authorization,
      'user-agent': 'immo-billing/3.2.1',
      'content-type': 'application/json',
    },
  },
  user: { id: 'usr_1000', email: loggerPii.email, password: loggerPii.password, role: 'accountant' },
  payment: {
    iban: loggerPii.iban,
    token: loggerPii.token,
    reference: 'Miete 2024-01 Whg 0',
    due: '2024-06-01',
  },
};
