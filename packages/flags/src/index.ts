export type {
  EvaluationErrorCode,
  EvaluationReason,
  FlagEvaluation,
  ValueSource,
} from './compile.js';
export type { FileEntry, FileRule, FlagFile, Stickiness } from './config.js';
export type { FlagsContext } from './context.js';
export { FlagsError, type FlagsErrorCode, type FlagsLintCode } from './errors.js';
export {
  createFlags,
  type FlagState,
  type Flags,
  type FlagsChange,
  type FlagsSnapshot,
  type KillSwitchActor,
  type KillSwitchChange,
} from './flags.js';
export { rolloutBucket } from './hash.js';
export {
  type ExpiredFlag,
  type LintFinding,
  type LintOptions,
  type LintReport,
  lintFlags,
  NAME_PATTERN,
  TYPE_SUFFIXES,
} from './lint.js';
export type { FlagsLogger, FlagsOptions } from './options.js';
export {
  defineFlags,
  envNameOf,
  type FlagDeclaration,
  type FlagDeclarations,
  type FlagKey,
  type FlagKeyOfType,
  type FlagRegistry,
  type FlagType,
  type FlagValue,
  type FlagValueType,
  isFlagRegistry,
  type JsonObject,
  type JsonValue,
  type KillSwitchDeclaration,
  type KillSwitchKey,
  type PermissionFlagDeclaration,
  type TemporaryFlagDeclaration,
  type Widen,
} from './registry.js';
export type { FlagsMetricsRegistry } from './telemetry.js';
