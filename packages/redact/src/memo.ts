// Limits shared by the redactor's per-position memos (keys, clean strings) and the shape cache of
// shapes.ts: both remember what they saw at the first SLOTS positions of a walk, and neither keeps a
// key longer than MAX_KEY_LENGTH alive.

/** Walk positions 0..SLOTS-1 (the first SLOTS values of a pass) have a memo slot. */
export const SLOTS = 256;
/** Longer keys are never remembered: keys can come from outside (parsed request bodies). */
export const MAX_KEY_LENGTH = 256;
