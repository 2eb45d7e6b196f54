export { currentRequestId, withCorrelation } from './context.js';
export { type LoggerErrorCode, LoggerOptionsError } from './errors.js';
export { LEVELS, type Level } from './levels.js';
export { createLogger, flush, type ImmoLogger, setLevel } from './logger.js';
export type { LoggerOptions } from './options.js';
export {
  MAX_REQUEST_ID_LENGTH,
  resolveRequestId,
  sanitizeRequestId,
  traceIdFromTraceparent,
} from './request-id.js';
