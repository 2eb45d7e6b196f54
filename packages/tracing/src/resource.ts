import { randomUUID } from 'node:crypto';
import os from 'node:os';

/**
 * The environment variables read for Kubernetes resource attributes, in order of preference. A
 * Deployment sets the first of each through the Downward API (`fieldRef: metadata.name`, …);
 * @immo/k8s-manifests renders exactly these. OpenTelemetry JS has no Kubernetes detector.
 *
 * @example
 * ```yaml
 * env:
 *   - name: K8S_POD_NAME
 *     valueFrom: { fieldRef: { fieldPath: metadata.name } }
 * ```
 */
export const K8S_DOWNWARD_ENV = {
  'k8s.pod.name': ['K8S_POD_NAME', 'POD_NAME'],
  'k8s.pod.uid': ['K8S_POD_UID', 'POD_UID'],
  'k8s.namespace.name': ['K8S_NAMESPACE_NAME', 'POD_NAMESPACE'],
  'k8s.node.name': ['K8S_NODE_NAME', 'NODE_NAME'],
  'k8s.container.name': ['K8S_CONTAINER_NAME', 'CONTAINER_NAME'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Kubernetes resource attributes from the Downward API variables in {@link K8S_DOWNWARD_ENV}; empty
 * outside a cluster.
 *
 * @example
 * ```ts
 * kubernetesAttributes({ K8S_POD_NAME: 'api-7d9f', K8S_NAMESPACE_NAME: 'billing' });
 * // { 'k8s.pod.name': 'api-7d9f', 'k8s.namespace.name': 'billing' }
 * ```
 */
export function kubernetesAttributes(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attribute, variables] of Object.entries(K8S_DOWNWARD_ENV)) {
    for (const variable of variables) {
      const v = env[variable]?.trim();
      if (v) {
        out[attribute] = v;
        break;
      }
    }
  }
  return out;
}

/** @internal Every resource attribute of the process: service, deployment, Kubernetes, host, process. */
export function resourceAttributes(
  o: {
    serviceName: string;
    serviceVersion: string;
    environment: string;
    resourceAttributes: Record<string, string>;
  },
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | number> {
  const k8s = kubernetesAttributes(env);
  return {
    'host.name': os.hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    ...k8s,
    // A pod's uid (or name) identifies the instance across restarts of the container; elsewhere a
    // random id per process, as the semantic conventions advise.
    'service.instance.id': k8s['k8s.pod.uid'] ?? k8s['k8s.pod.name'] ?? randomUUID(),
    ...o.resourceAttributes,
    'service.name': o.serviceName,
    'service.version': o.serviceVersion,
    'deployment.environment.name': o.environment,
  };
}
