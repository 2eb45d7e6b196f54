import pg from 'pg';

/** The sample service's schema: organisations own properties, properties have units. Idempotent. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS organizations (
  id          bigint PRIMARY KEY,
  name        text NOT NULL,
  plan        text NOT NULL CHECK (plan IN ('starter', 'business', 'professional'))
);
CREATE TABLE IF NOT EXISTS properties (
  id          bigint PRIMARY KEY,
  org_id      bigint NOT NULL REFERENCES organizations(id),
  name        text NOT NULL,
  city        text NOT NULL
);
CREATE INDEX IF NOT EXISTS properties_org_id ON properties(org_id);
CREATE TABLE IF NOT EXISTS units (
  id          bigint PRIMARY KEY,
  property_id bigint NOT NULL REFERENCES properties(id),
  label       text NOT NULL,
  area_sqm    numeric(8,2) NOT NULL CHECK (area_sqm > 0)
);
CREATE INDEX IF NOT EXISTS units_property_id ON units(property_id);
CREATE TABLE IF NOT EXISTS billing_runs (
  id             uuid PRIMARY KEY,
  org_id         bigint NOT NULL REFERENCES organizations(id),
  period         text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  invoices       integer NOT NULL DEFAULT 0,
  trace_id       text,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE TABLE IF NOT EXISTS backups (
  id             bigserial PRIMARY KEY,
  finished_at    timestamptz NOT NULL,
  ok             boolean NOT NULL,
  size_bytes     bigint
);
CREATE TABLE IF NOT EXISTS invoices (
  id             bigserial PRIMARY KEY,
  run_id         uuid NOT NULL REFERENCES billing_runs(id),
  org_id         bigint NOT NULL REFERENCES organizations(id),
  unit_id        bigint NOT NULL REFERENCES units(id),
  period         text NOT NULL,
  amount_cents   bigint NOT NULL CHECK (amount_cents >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, period)
);
`;

// Seed rows so the quick start has something to show; ON CONFLICT keeps a rerun harmless.
const SEED = `
INSERT INTO organizations (id, name, plan) VALUES
  (1, 'Hausverwaltung Nord GmbH', 'business'),
  (2, 'WEG Lindenstraße 12', 'starter')
ON CONFLICT (id) DO NOTHING;
INSERT INTO properties (id, org_id, name, city) VALUES
  (10, 1, 'Wohnanlage Am Stadtpark', 'Hamburg'),
  (11, 1, 'Gewerbehof Nord', 'Hamburg'),
  (20, 2, 'Lindenstraße 12', 'Leipzig')
ON CONFLICT (id) DO NOTHING;
INSERT INTO units (id, property_id, label, area_sqm) VALUES
  (100, 10, 'WE 01', 64.50), (101, 10, 'WE 02', 78.00), (102, 10, 'WE 03', 92.25),
  (110, 11, 'Halle A', 410.00),
  (200, 20, 'EG links', 55.00), (201, 20, 'EG rechts', 57.50)
ON CONFLICT (id) DO NOTHING;
`;

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** `postgres://user:pass@host:port/db`. */
  connectionString: string;
  /** @default 10 */
  max?: number;
}

/** A pg pool with timeouts that suit a request path: a request never waits long for a connection or a query. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 5_000,
    query_timeout: 6_000,
    application_name: 'sample-app',
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener that
  // would be an uncaught exception. The readiness check reports the outage instead.
  pool.on('error', () => {});
  return pool;
}

/** Creates the schema and the seed rows. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await pool.query(SCHEMA);
  await pool.query(SEED);
}
