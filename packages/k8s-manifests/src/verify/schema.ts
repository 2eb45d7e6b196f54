import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler as HPAv1 } from 'kubernetes-models/autoscaling/v1/HorizontalPodAutoscaler';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

type Validate = (this: unknown) => void;
const models: Array<{ apiVersion: string; kind: string; prototype: { validate: Validate } }> = [
  Pod,
  Service,
  ServiceAccount,
  ConfigMap,
  Secret,
  Namespace,
  Deployment,
  StatefulSet,
  DaemonSet,
  ReplicaSet,
  Job,
  CronJob,
  HorizontalPodAutoscaler,
  HPAv1,
  PodDisruptionBudget,
  NetworkPolicy,
  Ingress,
  Role,
  RoleBinding,
  ClusterRole,
  ClusterRoleBinding,
  ServiceMonitor,
  PodMonitor,
  PrometheusRule,
] as never;

const byType = new Map(models.map((m) => [`${m.apiVersion}/${m.kind}`, m.prototype.validate]));

/** `apiVersion/kind` pairs this package has a schema for. */
export const SCHEMA_KINDS: readonly string[] = [...byType.keys()].sort();

/** A schema problem: a JSON-path-like location and a message. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
  rule: 'schema' | 'unknown-field';
}

interface Seen {
  path: (string | number)[];
  read: Set<string>;
  enumerated: boolean;
  target: object;
}

/**
 * Validates one object against its kubernetes-models schema and also refuses unknown fields,
 * which kubernetes-models' own `validate()` accepts (a typo such as `replcias` would otherwise be
 * dropped silently by the API server). Returns `undefined` when there is no schema for the type.
 *
 * How unknown fields are found: the generated validators read every property their schema
 * declares and enumerate the keys of maps (labels, resources). Running the validator on a proxy
 * that records those reads tells, for each object node, which keys the schema knows; any other
 * key is unknown. This follows the schemas exactly, with no second copy of them to keep in sync.
 */
export function validateSchema(object: Record<string, unknown>): SchemaProblem[] | undefined {
  const validate = byType.get(`${String(object.apiVersion)}/${String(object.kind)}`);
  if (validate === undefined) return undefined;
  const seen: Seen[] = [];
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown, p: (string | number)[]): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const rec: Seen = { path: p, read: new Set(), enumerated: false, target: value };
    seen.push(rec);
    const isArray = Array.isArray(value);
    const proxy = new Proxy(value, {
      get(t, k, r) {
        const v = Reflect.get(t, k, r);
        if (typeof k !== 'string') return v;
        rec.read.add(k);
        if (isArray && !/^\d+$/.test(k)) return v;
        return wrap(v, [...p, isArray ? Number(k) : k]);
      },
      has(t, k) {
        if (typeof k === 'string') rec.read.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        rec.enumerated = true;
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  const problems: SchemaProblem[] = [];
  try {
    validate.call(wrap(object, []));
  } catch (err) {
    const errors =
      (
        err as {
          errors?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>;
        }
      ).errors ?? [];
    for (const e of errors) {
      // A segment is an array index only where the object has an array: "80" may be a map key.
      const p: (string | number)[] = [];
      let node: unknown = object;
      for (const raw of e.instancePath.split('/').slice(1)) {
        const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        const key = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
        p.push(key);
        node =
          node !== null && typeof node === 'object'
            ? (node as Record<string | number, unknown>)[key]
            : undefined;
      }
      const extra = e.params?.missingProperty ? ` "${String(e.params.missingProperty)}"` : '';
      problems.push({ path: p, message: `${e.message ?? 'invalid'}${extra}`, rule: 'schema' });
    }
    if (errors.length === 0) problems.push({ path: [], message: (err as Error).message, rule: 'schema' });
  }
  for (const rec of seen) {
    if (Array.isArray(rec.target) || rec.enumerated || rec.read.size === 0) continue;
    for (const key of Object.keys(rec.target)) {
      if (!rec.read.has(key))
        problems.push({ path: [...rec.path, key], message: `unknown field "${key}"`, rule: 'unknown-field' });
    }
  }
  return problems;
}
