export type { AlertmanagerConfigOptions, SlackChannelOptions } from './alertmanager.js';
export { alertmanagerConfig, alertmanagerSecret, alertmanagerYaml, RECEIVERS } from './alertmanager.js';
export type { K8sManifestsErrorCode } from './errors.js';
export { K8sManifestsError } from './errors.js';
export type { ImageLock, ImageReference } from './image.js';
export {
  DIGEST_PATTERN,
  digestProblem,
  normalizeRepository,
  parseImageLock,
  parseImageReference,
  readImageLock,
} from './image.js';
export type { Mixin, MixinRule, MixinRuleGroup } from './mixin.js';
export type { ObservabilityOptions } from './observability.js';
export {
  alloyConfigMap,
  alloyLogsConfig,
  grafanaDatasources,
  grafanaDatasourcesConfigMap,
  LOG_FIELDS,
} from './observability.js';
export type {
  EnvironmentOverrides,
  FlagsOptions,
  IngressOptions,
  NetworkPolicyOptions,
  PeerOptions,
  ProbeOptions,
  ResolvedService,
  SecretEnv,
  ServiceDefinition,
  ServiceDefinitionInput,
  ServiceOptions,
  ShutdownOptions,
} from './options.js';
export {
  DEFAULT_PROBES,
  defineService,
  GENERATED_ENV,
  SECRET_ENV_NAME,
  shutdownBudgetSeconds,
} from './options.js';
export { canonical, toYaml, writeManifests } from './output.js';
export type { ManifestObject, RenderedManifests } from './render.js';
export { MAX_DASHBOARD_BYTES, renderService } from './render.js';
export { renderAll } from './render-all.js';
export { lintRules, parseDuration } from './rules.js';
export type { CheckInfo, CheckSource } from './verify/checks.js';
export { CHECK_INFO, IGNORE_ANNOTATION } from './verify/checks.js';
export type { Finding } from './verify/finding.js';
export { formatFinding } from './verify/finding.js';
export type { VerifyOptions, VerifyResult } from './verify/index.js';
export { verifyManifests } from './verify/index.js';
