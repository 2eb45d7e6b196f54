export {
  type CounterRegistry,
  createErrorBudget,
  type ErrorBudget,
  type ErrorBudgetHealthCheck,
  type ErrorBudgetOptions,
  type ErrorBudgetStatus,
  type EventTotals,
  histogramTotals,
} from './budget.js';
export {
  type SloDashboardOptions,
  type SloDashboardQuery,
  sloDashboard,
  sloDashboardQueries,
} from './dashboard.js';
export { SloError, type SloErrorCode } from './errors.js';
export { loadSloFiles, validateSloFiles } from './load.js';
export { fromOpenSlo, type OpenSloDocument, toOpenSlo } from './openslo.js';
export {
  type RenderedSlos,
  type RenderSlosOptions,
  renderSlos,
  type SloMixin,
  sloMixin,
  toYaml,
} from './render.js';
export {
  formatReport,
  type SloReport,
  type SloReportOptions,
  type SloReportRow,
  sloReport,
} from './report.js';
export {
  burnRateSeries,
  eventExpressions,
  leMatcher,
  recordedSeriesCount,
  SLO_ALERTS,
  SLO_SERIES,
  type SloRule,
  type SloRuleGroup,
  sloRuleFile,
  sloRuleGroup,
} from './rules.js';
export { type Matcher, parseSelector, type Selector } from './selector.js';
export {
  type AlertingSpec,
  type BatchSli,
  type BooleanSli,
  BURN_TIERS,
  BURN_WINDOWS,
  type BurnWindow,
  burnFactor,
  type DefineSlosOptions,
  defineSlos,
  KNOWN_HISTOGRAMS,
  type LatencySli,
  parseObjective,
  type RatioSli,
  type ResolvedAlert,
  type ResolvedSli,
  type SimpleAlertSpec,
  SLO_WINDOWS,
  type SliSpec,
  type Slo,
  type SloSpec,
  type SloWindow,
  type TierSpec,
  validateSlos,
} from './spec.js';
export {
  detectionMinutes,
  type SloPromtoolTest,
  sloTestFile,
  sloTests,
  type TestSeries,
  testSeriesPlan,
} from './tests.js';
