export { CENSOR, REDACT_MARKERS } from './constants.js';
export { RedactOptionsError } from './errors.js';
export { DEFAULT_KEYS } from './keys.js';
export type { DetectorName, RedactOptions, RedactPattern } from './options.js';
export { createRedactor, type Redactor, redact, redactString } from './redactor.js';
