export { ReceiverWaitError, ServerStartError, ToolMissingError } from './errors.ts';
export type { PostgresOptions, PostgresServer } from './postgres.ts';
export { startPostgres } from './postgres.ts';
export { freePort } from './process.ts';
export type {
  AlertmanagerOptions,
  AlertmanagerServer,
  PrometheusOptions,
  PrometheusServer,
  YamlConfig,
} from './prometheus.ts';
export { startAlertmanager, startPrometheus } from './prometheus.ts';
export type {
  NotificationReceiver,
  OtlpReceiver,
  OtlpReceiverOptions,
  ReceivedEnvelope,
  ReceivedEnvelopeItem,
  ReceivedNotification,
  ReceivedSentryEvent,
  ReceivedSpan,
  ReceiverMode,
  SentryReceiver,
  SentryReceiverMode,
  SentryReceiverOptions,
} from './receivers.ts';
export { startNotificationReceiver, startOtlpReceiver, startSentryReceiver } from './receivers.ts';
export type { RegistryOptions, RegistryServer } from './registry.ts';
export { startRegistry } from './registry.ts';
export type { RequireToolsOptions, ToolInfo, ToolsCheck } from './tools.ts';
export {
  amtoolPath,
  findTool,
  promtoolPath,
  registryDir,
  requireTools,
  toolPath,
  toolsRequired,
} from './tools.ts';
