import { digestProblem, type ImageLock, normalizeRepository, parseImageReference } from '../image.js';
import type { MixinRuleGroup } from '../mixin.js';
import { SECRET_ENV_NAME } from '../options.js';
import { parseQuantity } from '../quantity.js';
import { lintRules } from '../rules.js';
import type { LoadedObject } from './load.js';

/** Where a check comes from: a kube-linter default check, a Polaris check, or ours. */
export type CheckSource = `kube-linter: ${string}` | `Polaris: ${string}` | 'immo';

/** The description of one check, as listed in the README. */
export interface CheckInfo {
  id: string;
  /** Why it matters. */
  reason: string;
  /** What to do about it. */
  fix: string;
  source: CheckSource;
}

/** A problem reported by a check: the path inside the object and a message. */
export interface CheckHit {
  object: LoadedObject;
  path: (string | number)[];
  message: string;
}

type Obj = Record<string, unknown>;
interface CheckContext {
  objects: readonly LoadedObject[];
  imageLock: ImageLock | undefined;
}
interface Check extends CheckInfo {
  run(ctx: CheckContext): CheckHit[];
}

const asObj = (v: unknown): Obj =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const meta = (o: LoadedObject) => asObj(o.object.metadata);
const ns = (o: LoadedObject) => str(meta(o).namespace) ?? '';
const nameOf = (o: LoadedObject) => str(meta(o).name) ?? '';

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** The pod spec inside a workload and its path (Pod, Deployment, …, CronJob's jobTemplate). */
export function podSpecOf(o: Obj): { spec: Obj; path: string[]; labels: Obj } | undefined {
  switch (o.kind) {
    case 'Pod':
      return { spec: asObj(o.spec), path: ['spec'], labels: asObj(asObj(o.metadata).labels) };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job': {
      const t = asObj(asObj(o.spec).template);
      return {
        spec: asObj(t.spec),
        path: ['spec', 'template', 'spec'],
        labels: asObj(asObj(t.metadata).labels),
      };
    }
    case 'CronJob': {
      const t = asObj(asObj(asObj(asObj(o.spec).jobTemplate).spec).template);
      return {
        spec: asObj(t.spec),
        path: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
        labels: asObj(asObj(t.metadata).labels),
      };
    }
    default:
      return undefined;
  }
}

interface ContainerRef {
  object: LoadedObject;
  pod: Obj;
  container: Obj;
  path: (string | number)[];
  kind: 'containers' | 'initContainers' | 'ephemeralContainers';
}

type ContainerKind = ContainerRef['kind'];
function containers(
  objects: readonly LoadedObject[],
  kinds: readonly ContainerKind[] = ['containers', 'initContainers', 'ephemeralContainers'],
) {
  const out: ContainerRef[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object.object);
    if (!pod) continue;
    for (const kind of kinds) {
      asArr(pod.spec[kind]).forEach((c, i) => {
        out.push({ object, pod: pod.spec, container: asObj(c), path: [...pod.path, kind, i], kind });
      });
    }
  }
  return out;
}

const matches = (selector: Obj, labels: Obj): boolean => {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
};

/**
 * matchLabels and simple matchExpressions (In, NotIn, Exists, DoesNotExist) against labels. An
 * empty selector (`{}`) selects everything, as in policy/v1 PDBs and ServiceMonitors; a missing one
 * (`undefined`) selects nothing.
 */
function selects(selector: Obj | undefined, labels: Obj): boolean {
  if (selector === undefined) return false;
  const ml = asObj(selector.matchLabels);
  const exprs = asArr(selector.matchExpressions).map(asObj);
  if (Object.keys(ml).length === 0 && exprs.length === 0) return true;
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return exprs.every((e) => {
    const key = str(e.key) ?? '';
    const values = asArr(e.values);
    switch (e.operator) {
      case 'In':
        return values.includes(labels[key]);
      case 'NotIn':
        return !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}

function workloadsIn(ctx: CheckContext, namespace: string) {
  return ctx.objects.filter((o) => ns(o) === namespace && podSpecOf(o.object) !== undefined);
}

/** HPAs targeting a workload (by kind and name in its namespace). */
function hpasFor(ctx: CheckContext, w: LoadedObject) {
  return ctx.objects.filter((o) => {
    if (o.object.kind !== 'HorizontalPodAutoscaler' || ns(o) !== ns(w)) return false;
    const ref = asObj(asObj(o.object.spec).scaleTargetRef);
    return ref.kind === w.object.kind && ref.name === nameOf(w);
  });
}

/** The fewest pods a workload runs: the HPA's minReplicas when one targets it, else `replicas` (default 1). */
function minPods(ctx: CheckContext, w: LoadedObject): number {
  const hpa = hpasFor(ctx, w)[0];
  if (hpa) return Number(asObj(hpa.object.spec).minReplicas ?? 1);
  return Number(asObj(w.object.spec).replicas ?? 1);
}

function probePortProblem(probe: Obj, container: Obj): string | undefined {
  const handler = asObj(probe.httpGet ?? probe.tcpSocket ?? probe.grpc);
  const port = handler.port;
  if (port === undefined) return undefined;
  const ports = asArr(container.ports).map(asObj);
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    return ports.some((p) => p.name === port)
      ? undefined
      : `port "${port}" is not a named port of the container`;
  }
  const n = Number(port);
  return ports.some((p) => p.containerPort === n)
    ? undefined
    : `port ${n} is not declared in the container's ports`;
}

const secCtx = (c: ContainerRef) => ({
  pod: asObj(c.pod.securityContext),
  ctr: asObj(c.container.securityContext),
});

const DANGEROUS_CAPS = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'NET_RAW',
  'BPF',
]);

/** preStop sleep seconds from the `sleep` action or an `exec` of `sleep N`. */
function preStopSleep(container: Obj): number | undefined {
  const pre = asObj(asObj(container.lifecycle).preStop);
  const sleep = asObj(pre.sleep).seconds;
  if (typeof sleep === 'number') return sleep;
  const cmd = asArr(asObj(pre.exec).command).map(String).join(' ');
  const m = /(?:^|\s|\/)sleep\s+(\d+)/.exec(cmd);
  return m ? Number(m[1]) : undefined;
}

export const CHECKS: readonly Check[] = [
  {
    id: 'image-digest',
    source: 'immo',
    reason:
      'A tag can be moved to another image; only a digest pins what was tested and scanned (rollout plan: digest-pinned images).',
    fix: 'reference the image as name@sha256:<64 lowercase hex> (a tag before @ is allowed), as the build pipeline writes it to the image lock',
    run: (ctx) =>
      containers(ctx.objects).flatMap((c) => {
        const image = c.container.image;
        const problem = typeof image === 'string' ? digestProblem(image) : 'no image';
        return problem === undefined
          ? []
          : [
              {
                object: c.object,
                path: [...c.path, 'image'],
                message: `${c.kind} image ${JSON.stringify(image ?? null)}: ${problem}`,
              },
            ];
      }),
  },
  {
    id: 'image-lock',
    source: 'immo',
    reason:
      'The image a manifest deploys must be the one the pipeline built and locked, not an older or hand-typed digest.',
    fix: 'render the manifests again from the current image lock file, or update the lock',
    run: (ctx) => {
      const lock = ctx.imageLock;
      if (!lock) return [];
      return containers(ctx.objects).flatMap((c) => {
        const image = str(c.container.image);
        if (!image || digestProblem(image) !== undefined) return [];
        const { repository, digest } = parseImageReference(image);
        const locked = lock.get(normalizeRepository(repository));
        if (locked === undefined)
          return [
            {
              object: c.object,
              path: [...c.path, 'image'],
              message: `image "${repository}" is not in the image lock`,
            },
          ];
        const want = parseImageReference(locked).digest;
        return want === digest
          ? []
          : [
              {
                object: c.object,
                path: [...c.path, 'image'],
                message: `digest ${digest?.slice(0, 19)}… differs from the locked ${want?.slice(0, 19)}…`,
              },
            ];
      });
    },
  },
  {
    id: 'liveness-probe',
    source: 'kube-linter: no-liveness-probe',
    reason: 'Without a liveness probe a deadlocked process keeps its pod forever.',
    fix: 'add livenessProbe (httpGet /health on the container port; it must not check dependencies)',
    run: (ctx) =>
      containers(ctx.objects, ['containers'])
        .filter(
          (c) => LONG_RUNNING.has(String(c.object.object.kind)) && c.container.livenessProbe === undefined,
        )
        .map((c) => ({
          object: c.object,
          path: c.path,
          message: `container "${String(c.container.name)}" has no livenessProbe`,
        })),
  },
  {
    id: 'readiness-probe',
    source: 'kube-linter: no-readiness-probe',
    reason:
      'Without a readiness probe a pod gets traffic before it can serve it, and keeps it while shutting down.',
    fix: 'add readinessProbe (httpGet /health/ready)',
    run: (ctx) =>
      containers(ctx.objects, ['containers'])
        .filter(
          (c) => LONG_RUNNING.has(String(c.object.object.kind)) && c.container.readinessProbe === undefined,
        )
        .map((c) => ({
          object: c.object,
          path: c.path,
          message: `container "${String(c.container.name)}" has no readinessProbe`,
        })),
  },
  {
    id: 'probe-port',
    source: 'kube-linter: liveness-port, readiness-port, startup-port',
    reason: 'A probe on a port the container does not declare fails forever (restarts or no traffic).',
    fix: 'point the probe at a declared containerPort, preferably by its name',
    run: (ctx) =>
      containers(ctx.objects, ['containers']).flatMap((c) =>
        (['livenessProbe', 'readinessProbe', 'startupProbe'] as const).flatMap((k) => {
          const probe = c.container[k];
          if (probe === undefined) return [];
          const problem = probePortProblem(asObj(probe), c.container);
          return problem ? [{ object: c.object, path: [...c.path, k], message: `${k}: ${problem}` }] : [];
        }),
      ),
  },
  {
    id: 'run-as-non-root',
    source: 'kube-linter: run-as-non-root',
    reason: 'A process running as root turns a container escape into root on the node.',
    fix: 'set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container level)',
    run: (ctx) =>
      containers(ctx.objects, ['containers', 'initContainers']).flatMap((c) => {
        const { pod, ctr } = secCtx(c);
        const user = ctr.runAsUser ?? pod.runAsUser;
        const nonRoot = ctr.runAsNonRoot ?? pod.runAsNonRoot;
        if (user === 0)
          return [
            {
              object: c.object,
              path: [...c.path, 'securityContext', 'runAsUser'],
              message: 'runs as UID 0 (root)',
            },
          ];
        if (nonRoot === true || (typeof user === 'number' && user > 0)) return [];
        return [
          {
            object: c.object,
            path: c.path,
            message: `container "${String(c.container.name)}" may run as root (no runAsNonRoot/runAsUser)`,
          },
        ];
      }),
  },
  {
    id: 'privilege-escalation',
    source: 'kube-linter: privilege-escalation-container',
    reason:
      'allowPrivilegeEscalation defaults to true: setuid binaries can gain more privileges than the process started with.',
    fix: 'set securityContext.allowPrivilegeEscalation: false on every container',
    run: (ctx) =>
      containers(ctx.objects, ['containers', 'initContainers'])
        .filter((c) => secCtx(c).ctr.allowPrivilegeEscalation !== false)
        .map((c) => ({
          object: c.object,
          path: [...c.path, 'securityContext'],
          message: `container "${String(c.container.name)}" allows privilege escalation`,
        })),
  },
  {
    id: 'privileged',
    source: 'kube-linter: privileged-container',
    reason: 'A privileged container has every device and capability of the node.',
    fix: 'remove securityContext.privileged (or set it to false)',
    run: (ctx) =>
      containers(ctx.objects)
        .filter((c) => secCtx(c).ctr.privileged === true)
        .map((c) => ({
          object: c.object,
          path: [...c.path, 'securityContext', 'privileged'],
          message: `container "${String(c.container.name)}" is privileged`,
        })),
  },
  {
    id: 'read-only-root-fs',
    source: 'kube-linter: no-read-only-root-fs',
    reason: 'A writable root filesystem lets an attacker drop tools into the container.',
    fix: 'set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes (/tmp)',
    run: (ctx) =>
      containers(ctx.objects, ['containers', 'initContainers'])
        .filter((c) => secCtx(c).ctr.readOnlyRootFilesystem !== true)
        .map((c) => ({
          object: c.object,
          path: [...c.path, 'securityContext'],
          message: `container "${String(c.container.name)}" has a writable root filesystem`,
        })),
  },
  {
    id: 'capabilities',
    source: 'Polaris: dangerousCapabilities, insecureCapabilities',
    reason: 'Linux capabilities a web service never needs widen what an exploit can do.',
    fix: 'set securityContext.capabilities.drop: ["ALL"] and add none of SYS_ADMIN, NET_ADMIN, NET_RAW, ALL',
    run: (ctx) =>
      containers(ctx.objects, ['containers', 'initContainers']).flatMap((c) => {
        const caps = asObj(secCtx(c).ctr.capabilities);
        const drop = asArr(caps.drop).map(String);
        const added = asArr(caps.add)
          .map(String)
          .filter((x) => DANGEROUS_CAPS.has(x.toUpperCase()));
        const hits: CheckHit[] = [];
        if (!drop.some((x) => x.toUpperCase() === 'ALL')) {
          hits.push({
            object: c.object,
            path: [...c.path, 'securityContext'],
            message: `container "${String(c.container.name)}" does not drop ALL capabilities`,
          });
        }
        if (added.length > 0) {
          hits.push({
            object: c.object,
            path: [...c.path, 'securityContext', 'capabilities', 'add'],
            message: `adds ${added.join(', ')}`,
          });
        }
        return hits;
      }),
  },
  {
    id: 'host-namespaces',
    source: 'kube-linter: host-network, host-pid, host-ipc',
    reason: "Sharing the node's network, PID or IPC namespace breaks the pod's isolation.",
    fix: 'remove hostNetwork, hostPID and hostIPC',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        const pod = podSpecOf(o.object);
        if (!pod) return [];
        return (['hostNetwork', 'hostPID', 'hostIPC'] as const)
          .filter((k) => pod.spec[k] === true)
          .map((k) => ({ object: o, path: [...pod.path, k], message: `${k} is true` }));
      }),
  },
  {
    id: 'resources',
    source: 'kube-linter: unset-cpu-requirements, unset-memory-requirements',
    reason:
      'Without requests the scheduler overpacks nodes; without a memory limit one leak takes the node down (Polaris: cpuRequestsMissing, memoryRequestsMissing, memoryLimitsMissing).',
    fix: 'set resources.requests.cpu, resources.requests.memory and resources.limits.memory',
    run: (ctx) =>
      containers(ctx.objects, ['containers', 'initContainers']).flatMap((c) => {
        const r = asObj(c.container.resources);
        const req = asObj(r.requests);
        const lim = asObj(r.limits);
        const missing = [
          req.cpu === undefined ? 'requests.cpu' : '',
          req.memory === undefined ? 'requests.memory' : '',
          lim.memory === undefined ? 'limits.memory' : '',
        ].filter(Boolean);
        const hits: CheckHit[] = [];
        if (missing.length)
          hits.push({
            object: c.object,
            path: [...c.path, 'resources'],
            message: `container "${String(c.container.name)}" has no ${missing.join(', ')}`,
          });
        const mr = parseQuantity(req.memory as string);
        const ml = parseQuantity(lim.memory as string);
        if (mr !== undefined && ml !== undefined && ml < mr)
          hits.push({
            object: c.object,
            path: [...c.path, 'resources', 'limits', 'memory'],
            message: 'memory limit below the request',
          });
        return hits;
      }),
  },
  {
    id: 'env-secret-literal',
    source: 'kube-linter: env-var-secret',
    reason: 'A secret written into a manifest ends up in Git, in `kubectl describe` and in every backup.',
    fix: 'take the value from a Secret (valueFrom.secretKeyRef)',
    run: (ctx) =>
      containers(ctx.objects).flatMap((c) =>
        asArr(c.container.env).flatMap((e, i) => {
          const v = asObj(e);
          return typeof v.name === 'string' &&
            SECRET_ENV_NAME.test(v.name) &&
            typeof v.value === 'string' &&
            v.value !== ''
            ? [
                {
                  object: c.object,
                  path: [...c.path, 'env', i, 'value'],
                  message: `${v.name} has a literal value`,
                },
              ]
            : [];
        }),
      ),
  },
  {
    id: 'anti-affinity',
    source: 'kube-linter: no-anti-affinity',
    reason: 'Replicas scheduled onto one node or zone go down together.',
    fix: 'add podAntiAffinity on kubernetes.io/hostname or topologySpreadConstraints',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (!LONG_RUNNING.has(String(o.object.kind)) || o.object.kind === 'DaemonSet') return [];
        const pod = podSpecOf(o.object)!;
        if (minPods(ctx, o) < 2) return [];
        const anti = asObj(asObj(pod.spec.affinity).podAntiAffinity);
        const hasAnti =
          asArr(anti.requiredDuringSchedulingIgnoredDuringExecution).length > 0 ||
          asArr(anti.preferredDuringSchedulingIgnoredDuringExecution).length > 0;
        return hasAnti || asArr(pod.spec.topologySpreadConstraints).length > 0
          ? []
          : [
              {
                object: o,
                path: pod.path,
                message: `${minPods(ctx, o)} replicas without podAntiAffinity or topologySpreadConstraints`,
              },
            ];
      }),
  },
  {
    id: 'mismatching-selector',
    source: 'kube-linter: mismatching-selector',
    reason:
      "A selector that does not match the pod template's labels is refused by the API server or orphans pods.",
    fix: 'make spec.selector.matchLabels a subset of spec.template.metadata.labels',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (!LONG_RUNNING.has(String(o.object.kind))) return [];
        const selector = asObj(asObj(o.object.spec).selector);
        const pod = podSpecOf(o.object)!;
        // An empty selector is refused for workloads (it would adopt every pod of the namespace).
        const empty =
          Object.keys(asObj(selector.matchLabels)).length === 0 &&
          asArr(selector.matchExpressions).length === 0;
        return !empty && selects(selector, pod.labels)
          ? []
          : [
              {
                object: o,
                path: ['spec', 'selector'],
                message: 'the selector does not match the pod template labels',
              },
            ];
      }),
  },
  {
    id: 'rolling-update',
    source: 'kube-linter: no-rolling-update-strategy',
    reason: 'The Recreate strategy stops every pod before starting new ones: an outage on every deploy.',
    fix: 'use strategy.type: RollingUpdate (maxUnavailable 0, maxSurge 1)',
    run: (ctx) =>
      ctx.objects
        .filter(
          (o) => o.object.kind === 'Deployment' && asObj(asObj(o.object.spec).strategy).type === 'Recreate',
        )
        .map((o) => ({ object: o, path: ['spec', 'strategy', 'type'], message: 'strategy is Recreate' })),
  },
  {
    id: 'termination-grace',
    source: 'immo',
    reason:
      'The preStop sleep counts against terminationGracePeriodSeconds; if it uses up the grace period the app is killed before it can drain and flush.',
    fix: 'derive terminationGracePeriodSeconds from preStop + the app shutdown deadline + a margin (renderService does)',
    run: (ctx) =>
      containers(ctx.objects, ['containers']).flatMap((c) => {
        const sleep = preStopSleep(c.container);
        const grace = Number(c.pod.terminationGracePeriodSeconds ?? 30);
        return sleep !== undefined && sleep >= grace
          ? [
              {
                object: c.object,
                path: [...c.path, 'lifecycle', 'preStop'],
                message: `preStop sleep ${sleep} s leaves no time within terminationGracePeriodSeconds ${grace}`,
              },
            ]
          : [];
      }),
  },
  {
    id: 'service-account',
    source: 'kube-linter: non-existent-service-account',
    reason: 'A pod referring to a ServiceAccount that is not deployed is never created.',
    fix: 'add the ServiceAccount to the manifests or fix serviceAccountName',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        const pod = podSpecOf(o.object);
        const sa = str(pod?.spec.serviceAccountName);
        if (!pod || !sa || sa === 'default') return [];
        const found = ctx.objects.some(
          (x) => x.object.kind === 'ServiceAccount' && nameOf(x) === sa && ns(x) === ns(o),
        );
        return found
          ? []
          : [
              {
                object: o,
                path: [...pod.path, 'serviceAccountName'],
                message: `ServiceAccount "${sa}" is not among the manifests`,
              },
            ];
      }),
  },
  {
    id: 'dangling-service',
    source: 'kube-linter: dangling-service',
    reason: 'A Service whose selector matches no pod template has no endpoints.',
    fix: "make spec.selector match the workload's pod template labels",
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'Service') return [];
        const selector = asObj(asObj(o.object.spec).selector);
        if (Object.keys(selector).length === 0) return []; // headless/external: endpoints managed elsewhere
        const found = workloadsIn(ctx, ns(o)).some((w) => matches(selector, podSpecOf(w.object)!.labels));
        return found
          ? []
          : [
              {
                object: o,
                path: ['spec', 'selector'],
                message: 'matches no pod template among the manifests',
              },
            ];
      }),
  },
  {
    id: 'dangling-servicemonitor',
    source: 'kube-linter: dangling-servicemonitor',
    reason:
      'A ServiceMonitor that selects no Service scrapes nothing, and nobody notices until an alert stays silent.',
    fix: "make spec.selector match the Service's labels (and spec.namespaceSelector its namespace)",
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'ServiceMonitor') return [];
        const spec = asObj(o.object.spec);
        const names = asArr(asObj(spec.namespaceSelector).matchNames).map(String);
        const any = asObj(spec.namespaceSelector).any === true;
        const found = ctx.objects.some(
          (s) =>
            s.object.kind === 'Service' &&
            (any || (names.length ? names.includes(ns(s)) : ns(s) === ns(o))) &&
            selects(spec.selector === undefined ? undefined : asObj(spec.selector), asObj(meta(s).labels)),
        );
        return found
          ? []
          : [{ object: o, path: ['spec', 'selector'], message: 'selects no Service among the manifests' }];
      }),
  },
  {
    id: 'dangling-hpa',
    source: 'kube-linter: dangling-horizontalpodautoscaler',
    reason: 'An HPA whose target does not exist scales nothing.',
    fix: 'make spec.scaleTargetRef name an existing Deployment or StatefulSet',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'HorizontalPodAutoscaler') return [];
        const ref = asObj(asObj(o.object.spec).scaleTargetRef);
        const found = ctx.objects.some(
          (w) => w.object.kind === ref.kind && nameOf(w) === ref.name && ns(w) === ns(o),
        );
        return found
          ? []
          : [
              {
                object: o,
                path: ['spec', 'scaleTargetRef'],
                message: `target ${String(ref.kind)}/${String(ref.name)} is not among the manifests`,
              },
            ];
      }),
  },
  {
    id: 'dangling-ingress',
    source: 'immo',
    reason: 'An Ingress whose backend Service (or its port) is not deployed answers 503 for every request.',
    fix: 'make the backend name an existing Service and the port one of its ports',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'Ingress') return [];
        const hits: CheckHit[] = [];
        asArr(asObj(o.object.spec).rules).forEach((rule, ri) => {
          asArr(asObj(asObj(rule).http).paths).forEach((p, pi) => {
            const backend = asObj(asObj(asObj(p).backend).service);
            if (backend.name === undefined) return;
            const svc = ctx.objects.find(
              (x) => x.object.kind === 'Service' && nameOf(x) === backend.name && ns(x) === ns(o),
            );
            const path = ['spec', 'rules', ri, 'http', 'paths', pi, 'backend', 'service'];
            if (!svc) {
              hits.push({
                object: o,
                path,
                message: `Service "${String(backend.name)}" is not among the manifests`,
              });
              return;
            }
            const port = asObj(backend.port);
            const ports = asArr(asObj(svc.object.spec).ports).map(asObj);
            const ok =
              port.name !== undefined
                ? ports.some((x) => x.name === port.name)
                : ports.some((x) => x.port === port.number);
            if (!ok)
              hits.push({
                object: o,
                path: [...path, 'port'],
                message: `Service "${String(backend.name)}" has no port ${String(port.name ?? port.number)}`,
              });
          });
        });
        return hits;
      }),
  },
  {
    id: 'dangling-pdb',
    source: 'immo',
    reason: 'A PodDisruptionBudget that selects no pods protects nothing.',
    fix: "make spec.selector match the workload's pod template labels",
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'PodDisruptionBudget') return [];
        // policy/v1: no selector selects no pods; `{}` selects every pod of the namespace.
        const raw = asObj(o.object.spec).selector;
        const selector = raw === undefined || raw === null ? undefined : asObj(raw);
        const found = workloadsIn(ctx, ns(o)).some((w) => selects(selector, podSpecOf(w.object)!.labels));
        return found
          ? []
          : [
              {
                object: o,
                path: ['spec', 'selector'],
                message: 'selects no pod template among the manifests',
              },
            ];
      }),
  },
  {
    id: 'dangling-networkpolicy',
    source: 'kube-linter: dangling-networkpolicy',
    reason:
      'A NetworkPolicy whose podSelector matches no pods does not protect the service it was written for.',
    fix: "make spec.podSelector match the workload's pod template labels",
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'NetworkPolicy') return [];
        const selector = asObj(asObj(o.object.spec).podSelector);
        if (
          Object.keys(asObj(selector.matchLabels)).length === 0 &&
          asArr(selector.matchExpressions).length === 0
        )
          return [];
        const found = workloadsIn(ctx, ns(o)).some((w) => selects(selector, podSpecOf(w.object)!.labels));
        return found
          ? []
          : [
              {
                object: o,
                path: ['spec', 'podSelector'],
                message: 'selects no pod template among the manifests',
              },
            ];
      }),
  },
  {
    id: 'pdb-max-unavailable',
    source: 'kube-linter: pdb-max-unavailable',
    reason: 'maxUnavailable 0 blocks every voluntary eviction: node drains and cluster upgrades hang.',
    fix: 'set maxUnavailable to 1 (or a percentage above 0)',
    run: (ctx) =>
      ctx.objects
        .filter((o) => o.object.kind === 'PodDisruptionBudget')
        .filter((o) => {
          const v = asObj(o.object.spec).maxUnavailable;
          return v === 0 || (typeof v === 'string' && /^0+%?$/.test(v));
        })
        .map((o) => ({
          object: o,
          path: ['spec', 'maxUnavailable'],
          message: 'maxUnavailable is 0: no pod may ever be evicted',
        })),
  },
  {
    id: 'pdb-min-available',
    source: 'kube-linter: pdb-min-available',
    reason: 'minAvailable equal to (or above) the replica count, or 100%, blocks every voluntary eviction.',
    fix: 'use maxUnavailable: 1, or a minAvailable below the smallest replica count',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'PodDisruptionBudget') return [];
        const spec = asObj(o.object.spec);
        const v = spec.minAvailable;
        if (v === undefined) return [];
        if (typeof v === 'string') {
          return Number.parseInt(v, 10) >= 100
            ? [
                {
                  object: o,
                  path: ['spec', 'minAvailable'],
                  message: `minAvailable ${v}: no pod may ever be evicted`,
                },
              ]
            : [];
        }
        const targets = workloadsIn(ctx, ns(o)).filter((w) =>
          selects(asObj(spec.selector), podSpecOf(w.object)!.labels),
        );
        return targets
          .filter((w) => hpasFor(ctx, w).length === 0 && Number(v) >= minPods(ctx, w))
          .map((w) => ({
            object: o,
            path: ['spec', 'minAvailable'],
            message: `minAvailable ${String(v)} ≥ ${String(w.object.kind)}/${nameOf(w)}'s ${minPods(ctx, w)} replicas`,
          }));
      }),
  },
  {
    id: 'pdb-vs-hpa',
    source: 'immo',
    reason:
      "A PDB's minAvailable at or above the HPA's minReplicas blocks evictions whenever the HPA has scaled down.",
    fix: 'keep minAvailable below the HPA minReplicas, or use maxUnavailable',
    run: (ctx) =>
      ctx.objects.flatMap((o) => {
        if (o.object.kind !== 'PodDisruptionBudget') return [];
        const spec = asObj(o.object.spec);
        if (typeof spec.minAvailable !== 'number') return [];
        const min = spec.minAvailable;
        return workloadsIn(ctx, ns(o))
          .filter((w) => selects(asObj(spec.selector), podSpecOf(w.object)!.labels))
          .flatMap((w) => hpasFor(ctx, w))
          .filter((h) => min >= Number(asObj(h.object.spec).minReplicas ?? 1))
          .map((h) => ({
            object: o,
            path: ['spec', 'minAvailable'],
            message: `minAvailable ${min} ≥ minReplicas ${String(asObj(h.object.spec).minReplicas ?? 1)} of HPA ${nameOf(h)}`,
          }));
      }),
  },
  {
    id: 'pdb-unhealthy-eviction',
    source: 'kube-linter: pdb-unhealthy-pod-eviction-policy',
    reason:
      'Without unhealthyPodEvictionPolicy: AlwaysAllow, pods that are not ready (crash-looping) still count against the budget and block drains.',
    fix: 'set spec.unhealthyPodEvictionPolicy: AlwaysAllow',
    run: (ctx) =>
      ctx.objects
        .filter(
          (o) =>
            o.object.kind === 'PodDisruptionBudget' &&
            asObj(o.object.spec).unhealthyPodEvictionPolicy === undefined,
        )
        .map((o) => ({ object: o, path: ['spec'], message: 'unhealthyPodEvictionPolicy is not set' })),
  },
  {
    id: 'hpa-min-replicas',
    source: 'kube-linter: hpa-minimum-three-replicas',
    reason:
      'An HPA allowed to scale to one replica makes every node drain or crash an outage (kube-linter asks for 3; the rollout plan for 2).',
    fix: 'set spec.minReplicas to 2 or more',
    run: (ctx) =>
      ctx.objects
        .filter(
          (o) =>
            o.object.kind === 'HorizontalPodAutoscaler' && Number(asObj(o.object.spec).minReplicas ?? 1) < 2,
        )
        .map((o) => ({
          object: o,
          path: ['spec', 'minReplicas'],
          message: `minReplicas is ${String(asObj(o.object.spec).minReplicas ?? '1 (default)')}`,
        })),
  },
  {
    id: 'dashboard-size',
    source: 'immo',
    reason:
      '`kubectl apply` keeps a copy of the object in an annotation limited to 256 KiB: a bigger dashboard ConfigMap cannot be applied.',
    fix: 'split the dashboard, or apply it with server-side apply',
    run: (ctx) =>
      ctx.objects
        .filter((o) => o.object.kind === 'ConfigMap' && asObj(meta(o).labels).grafana_dashboard !== undefined)
        .flatMap((o) => {
          const bytes = Object.values(asObj(o.object.data)).reduce<number>(
            (n, v) => n + Buffer.byteLength(String(v)),
            0,
          );
          return bytes >= 256 * 1024
            ? [{ object: o, path: ['data'], message: `dashboard data is ${bytes} bytes (limit 262144)` }]
            : [];
        }),
  },
  {
    id: 'alert-conventions',
    source: 'immo',
    reason:
      'The monitoring-mixins conventions (mixtool lint): CamelCase names, severity critical/warning/info, priority P0/P1/P2 for routing, a plain summary ending with a period, a templated description, a runbook_url, a sensible for:, level:metric:operations recording names.',
    fix: 'follow the message; the rule conventions are listed in the README',
    run: (ctx) =>
      ctx.objects
        .filter((o) => o.object.kind === 'PrometheusRule')
        .flatMap((o) => {
          const groups = asArr(asObj(o.object.spec).groups) as MixinRuleGroup[];
          return groups.flatMap((g, gi) =>
            asArr(asObj(g).rules).flatMap((r, ri) =>
              lintRules([{ name: String(asObj(g).name), rules: [asObj(r) as never] }]).map((message) => ({
                object: o,
                path: ['spec', 'groups', gi, 'rules', ri],
                message,
              })),
            ),
          );
        }),
  },
  {
    id: 'duplicate-object',
    source: 'immo',
    reason: 'Two objects with one kind, namespace and name: the second silently replaces the first on apply.',
    fix: 'rename one of them or remove the copy',
    run: (ctx) => {
      const seen = new Map<string, LoadedObject>();
      const hits: CheckHit[] = [];
      for (const o of ctx.objects) {
        // One object under two versions of its API group (autoscaling/v1 and v2) is still one object.
        const apiVersion = String(o.object.apiVersion);
        const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
        const key = `${group}|${o.ref}`;
        const first = seen.get(key);
        if (first)
          hits.push({ object: o, path: ['metadata', 'name'], message: `also defined in ${first.file}` });
        else seen.set(key, o);
      }
      return hits;
    },
  },
];

/** Checks that run outside the list above (schema, YAML, promtool) but share its ids and docs. */
export const OTHER_CHECKS: readonly CheckInfo[] = [
  {
    id: 'schema',
    source: 'immo',
    reason: 'An object the API server would refuse (wrong type, missing required field).',
    fix: 'follow the message; the schema is the Kubernetes OpenAPI schema from kubernetes-models',
  },
  {
    id: 'unknown-field',
    source: 'immo',
    reason:
      'A misspelt or misplaced field is dropped silently by the API server (kubernetes-models alone accepts it).',
    fix: 'fix the spelling or indentation',
  },
  {
    id: 'unknown-kind',
    source: 'immo',
    reason: 'The object is of a type this package has no schema for; it is not schema-checked (a warning).',
    fix: 'none needed, or opt out with the annotation',
  },
  {
    id: 'invalid-object',
    source: 'immo',
    reason: 'A YAML document that is not a Kubernetes object (no apiVersion, kind or metadata.name).',
    fix: 'each document must be one object',
  },
  {
    id: 'yaml-syntax',
    source: 'immo',
    reason: 'The file is not valid YAML.',
    fix: 'fix the syntax at the given line',
  },
  {
    id: 'read-error',
    source: 'immo',
    reason: 'A given file or folder cannot be read.',
    fix: 'check the path',
  },
  {
    id: 'prometheus-rule',
    source: 'immo',
    reason:
      "A PrometheusRule's groups fail `promtool check rules` (bad PromQL, duplicate names, bad durations): the operator would reject or drop them.",
    fix: 'fix the rule named in the message',
  },
  {
    id: 'ignore-justification',
    source: 'immo',
    reason: 'An opt-out annotation without a justification is not honoured: every exception must say why.',
    fix: 'give the annotation a value explaining why the check does not apply',
  },
];

/** Annotation prefix of the per-object opt-out: `ignore-check.immo.dev/<check-id>: "<justification>"`. */
export const IGNORE_ANNOTATION = 'ignore-check.immo.dev/';

/** Every check id with its reason and fix, in README order. */
export const CHECK_INFO: readonly CheckInfo[] = [...CHECKS, ...OTHER_CHECKS].map(
  ({ id, source, reason, fix }) => ({ id, source, reason, fix }),
);

/** Runs every check of {@link CHECKS} over the loaded objects. */
export function runChecks(
  objects: readonly LoadedObject[],
  imageLock?: ImageLock,
): Array<CheckHit & { check: Check }> {
  const ctx: CheckContext = { objects, imageLock };
  return CHECKS.flatMap((check) => {
    try {
      return check.run(ctx).map((hit) => ({ ...hit, check }));
    } catch (err) {
      // A shape no check anticipated (the schema step reports it): one check fails, not the run.
      const first = objects[0];
      return first
        ? [
            {
              object: first,
              path: [],
              message: `check ${check.id} could not run: ${String((err as Error).message).slice(0, 200)}`,
              check,
            },
          ]
        : [];
    }
  });
}
