import {
  alertmanagerSecret,
  alloyConfigMap,
  grafanaDatasourcesConfigMap,
  type ManifestObject,
  renderAll,
  writeManifests,
} from '@immo/k8s-manifests';
import { service } from './k8s.js';

const SECRETS = '/etc/alertmanager/secrets';

/**
 * The cluster's monitoring pieces the sample service relies on: the Alertmanager
 * configuration (a Secret for the Prometheus operator; the routing key and webhook URLs are files
 * from the Secrets `alertmanager-pagerduty` and `alertmanager-slack`, never in the config), Grafana's
 * datasources (Prometheus ↔ Tempo ↔ Loki linked by trace id) and Grafana Alloy's log pipeline.
 * The heartbeat URL is an example: a real one comes from the dead-man's-switch service.
 */
export function monitoringStack(): Map<string, ManifestObject[]> {
  const namespace = 'monitoring';
  const observability = {
    prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090',
    lokiUrl: 'http://loki-gateway.monitoring.svc',
    tempoUrl: 'http://tempo.monitoring.svc:3200',
    namespaces: service.environments.map((env) => service.resolve(env).namespace),
  };
  return new Map([
    [
      'alertmanager.yaml',
      [
        alertmanagerSecret(
          {
            pagerduty: { routingKeyFile: `${SECRETS}/alertmanager-pagerduty/routing-key` },
            slack: {
              P1: {
                channel: '#billing-alerts',
                apiUrlFile: `${SECRETS}/alertmanager-slack/p1-webhook-url`,
              },
              P2: {
                channel: '#billing-notices',
                apiUrlFile: `${SECRETS}/alertmanager-slack/p2-webhook-url`,
              },
            },
            heartbeat: { url: 'https://heartbeat.example.com/ping/immo-cluster' },
            externalUrl: 'https://alertmanager.immo.example',
          },
          { name: 'main', namespace },
        ),
      ],
    ],
    ['grafana-datasources.yaml', [grafanaDatasourcesConfigMap(observability, { namespace })]],
    ['alloy.yaml', [alloyConfigMap(observability, { namespace })]],
  ]);
}

/**
 * Renders the service (k8s/<env>/…) and the cluster's monitoring pieces once (k8s/stack/…) under
 * `dir`: staging and production share the cluster in this reference deployment (their namespaces
 * differ), so there is one Alertmanager, one Grafana and one Alloy, shipping both namespaces' logs.
 */
export function renderK8s(dir: string): string[] {
  const written = renderAll(service, dir);
  written.push(...writeManifests(`${dir}/stack`, monitoringStack()).map((f) => `stack/${f}`));
  return written;
}
