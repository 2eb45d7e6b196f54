import { CENSOR, REDACT_MARKERS } from './constants.js';
import { cardCensor, isCardNumber } from './detectors/card.js';
import { type ScanConfig, scanString } from './detectors/scan.js';
import { compileKeyRules, DEFAULT_KEYS, type KeyRules, matchesKeyRules } from './keys.js';
import { MAX_KEY_LENGTH, SLOTS } from './memo.js';
import { type RedactOptions, resolveOptions } from './options.js';
import { ShapeCopier, setProp } from './shapes.js';

/**
 * A configured redactor. Create one per policy with {@link createRedactor} and reuse it: it caches key
 * decisions.
 *
 * @example
 * ```ts
 * import { createRedactor } from '@immo/redact';
 * const r = createRedactor();
 * r.redact({ user: { email: 'ann@example.com' } }); // { user: { email: '[REDACTED:email]' } }
 * r.redactString('Bearer abc.def'); // 'Bearer [REDACTED:token]'
 * r.isSensitiveKey('X-Api-Key'); // true
 * ```
 */
export interface Redactor {
  /**
   * Deep, copy-on-write redaction. Returns the same reference when nothing needed changing, a new
   * object otherwise; never mutates `value` and never throws (an internal failure returns
   * `'[Unredactable]'`). Errors become plain objects `{ type, message, stack, aggregateErrors?, ...own
   * props, cause? }` like pino-std-serializers' `err` output. The static type is kept for convenience;
   * at runtime Errors, Buffers and truncated values change shape as documented in the README.
   */
  redact<T>(value: T): T;
  /** Value detectors (and patterns) only; returns the same string when nothing was found. */
  redactString(value: string): string;
  /** True when a property with this key has its value replaced by {@link CENSOR}. */
  isSensitiveKey(key: string): boolean;
}

const {
  depth: TRUNCATED_DEPTH,
  size: TRUNCATED_SIZE,
  circular: CIRCULAR,
  unredactable: UNREDACTABLE,
} = REDACT_MARKERS;

// Decision for one key: 0 keep, 1 censor the value, or an object when the key itself carries PII.
type KeyDecision = 0 | 1 | { readonly sensitive: boolean; readonly key: string };

const KEY_CACHE_LIMIT = 10_000;
// Memo of clean strings passed to redactString(), indexed by length (a free hash).
const MESSAGE_SLOTS = 64;
// Longer strings are never memoized: the memo must not keep large values alive, and for them a scan
// costs little next to what the logger does with them anyway.
const MEMO_MAX_LENGTH = 256;
const hasOwn = Object.hasOwn;
const objectProto = Object.prototype;
// Returned by the walker for a value that needs no change. Comparing against one private constant is a
// single pointer compare; comparing the result with the input (strings, numbers, objects and NaN mixed
// at one site) made V8 call its generic equality builtin for every property.
const KEEP: unique symbol = Symbol('keep');

function isError(value: object): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

// No card issuer prefix starts with 0 or 1; a millisecond timestamp (1.7e12) is rejected here without
// converting it to a string.
function leadingDigit(v: number): number {
  let p = 1e12;
  while (v >= p * 10) p *= 10;
  return Math.floor(v / p);
}

/**
 * True when Object.prototype has enumerable properties (prototype pollution), so that for..in over a plain
 * object also yields inherited keys. for..in fixes its key list when the loop starts, so this is asked
 * right before each plain object's loop. Over an unpolluted Object.prototype it costs a few dozen
 * instructions and allocates nothing (V8's empty enum cache).
 */
function objectProtoHasEnumerable(): boolean {
  for (const _ in objectProto) return true;
  return false;
}

function binaryMarker(byteLength: number): string {
  return `[Binary:${byteLength}]`;
}

class RedactorImpl implements Redactor {
  private readonly rules: KeyRules;
  private readonly scan: ScanConfig;
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly cardsInNumbers: boolean;
  private readonly keyCache = new Map<string, KeyDecision>();
  /**
   * @internal The key last seen at each walk position and its decision. A logger redacts objects of a
   * few shapes over and over, so the key at position n is usually the one seen there last time: one
   * string compare instead of a hash lookup. Filled with '' so the array only ever holds strings, and
   * slotDecisions with the real decision for '' (a RegExp key rule may match the empty key).
   */
  readonly slotKeys: string[] = new Array<string>(SLOTS).fill('');
  /** @internal */
  readonly slotDecisions: KeyDecision[];
  /**
   * @internal The string last found clean at each walk position. The scan is a pure function of the
   * string and this redactor's fixed options, so a string equal to a remembered one is clean without
   * scanning it again; a logger's messages, service names, routes, methods and statuses repeat line
   * after line. Only clean strings up to MEMO_MAX_LENGTH characters are kept, never a redacted one.
   * The initial '' is clean for every redactor: options reject patterns that match the empty string.
   */
  readonly slotValues: string[] = new Array<string>(SLOTS).fill('');
  private readonly messages: string[] = new Array<string>(MESSAGE_SLOTS).fill('');
  /** @internal Builds the copies of changed plain objects. */
  readonly shapes = new ShapeCopier();

  // Per-call state. redact() is synchronous, but a getter may call redact() again: the idle walker is
  // taken for the call, so a nested call finds none and gets a walker of its own.
  private idle: Walk | undefined;

  constructor(options: RedactOptions | undefined) {
    const resolved = resolveOptions(options, DEFAULT_KEYS);
    this.rules = compileKeyRules(resolved.keyRules);
    const rules = this.rules;
    this.scan = {
      ...resolved.detectors,
      isSensitiveKey: (key: string) => matchesKeyRules(key, rules),
      patterns: resolved.patterns,
      maxStringLength: resolved.maxStringLength,
    };
    this.maxDepth = resolved.maxDepth;
    this.maxNodes = resolved.maxNodes;
    this.cardsInNumbers = resolved.detectors.card;
    this.slotDecisions = new Array<KeyDecision>(SLOTS).fill(this.keyDecision(''));
    this.idle = new Walk(this);
    this.redact = this.redact.bind(this);
    this.redactString = this.redactString.bind(this);
    this.isSensitiveKey = this.isSensitiveKey.bind(this);
  }

  redact<T>(value: T): T {
    // Primitives other than strings and large integers cannot hold PII: skip the walker entirely.
    // (`typeof x === '...'` compiles to a type check; a stored typeof result is a string to compare.)
    if (typeof value === 'string') return this.redactString(value) as T;
    if (typeof value !== 'object' && typeof value !== 'number' && typeof value !== 'bigint') return value;
    if (value === null) return value;
    const walk = this.idle ?? new Walk(this);
    this.idle = undefined;
    try {
      const r = walk.run(value);
      return (r === KEEP ? value : r) as T;
    } catch {
      return UNREDACTABLE as T;
    } finally {
      walk.reset();
      this.idle = walk;
    }
  }

  redactString(value: string): string {
    if (typeof value !== 'string') return value;
    const slot = value.length & (MESSAGE_SLOTS - 1);
    if (this.messages[slot] === value) return value;
    try {
      const r = scanString(value, this.scan);
      if (r === value && value.length <= MEMO_MAX_LENGTH) this.messages[slot] = value;
      return r;
    } catch {
      return UNREDACTABLE;
    }
  }

  isSensitiveKey(key: string): boolean {
    const d = this.keyDecision(String(key));
    return d === 1 || (d !== 0 && d.sensitive);
  }

  /** @internal */
  keyDecision(key: string): KeyDecision {
    const cached = this.keyCache.get(key);
    if (cached !== undefined) return cached;
    const sensitive = matchesKeyRules(key, this.rules);
    const renamed = scanString(key, this.scan);
    const d: KeyDecision = renamed === key ? (sensitive ? 1 : 0) : { sensitive, key: renamed };
    if (key.length <= MAX_KEY_LENGTH) {
      // A full cache is dropped rather than evicted entry by entry: cheap, and a service's key set is
      // small enough that it refills with the hot keys at once.
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(key, d);
    }
    return d;
  }

  /** @internal */
  get config(): { scan: ScanConfig; maxDepth: number; maxNodes: number; cardsInNumbers: boolean } {
    return {
      scan: this.scan,
      maxDepth: this.maxDepth,
      maxNodes: this.maxNodes,
      cardsInNumbers: this.cardsInNumbers,
    };
  }
}

/**
 * One redaction pass. Holds the node count, the ancestor path (cycle detection) and a scratch stack of
 * the keys and values read so far from each open container: when a container turns out to need a copy,
 * its clean prefix is copied from the scratch stack instead of being read again, so a getter or proxy
 * is read exactly once and what is written is exactly what was scanned.
 */
class Walk {
  private readonly owner: RedactorImpl;
  private readonly scan: ScanConfig;
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly cardsInNumbers: boolean;
  private readonly slotKeys: string[];
  private readonly slotDecisions: KeyDecision[];
  private readonly slotValues: string[];
  private nodes = 0;
  private readonly path: object[] = [];
  private pathLen = 0;
  private readonly scratch: unknown[] = [];
  private top = 0;
  private high = 0;
  private pathHigh = 0;

  constructor(owner: RedactorImpl) {
    this.owner = owner;
    const c = owner.config;
    this.scan = c.scan;
    this.maxDepth = c.maxDepth;
    this.maxNodes = c.maxNodes;
    this.cardsInNumbers = c.cardsInNumbers;
    this.slotKeys = owner.slotKeys;
    this.slotDecisions = owner.slotDecisions;
    this.slotValues = owner.slotValues;
  }

  /** keyDecision() through the per-position memo; `slot` is the node count when the key is read. */
  private keyAt(key: string, slot: number): KeyDecision {
    if (slot < SLOTS) {
      if (this.slotKeys[slot] === key) return this.slotDecisions[slot] as KeyDecision;
      const d = this.owner.keyDecision(key);
      // Same bound as the key cache: the memo must not keep a huge key alive.
      if (key.length <= MAX_KEY_LENGTH) {
        this.slotKeys[slot] = key;
        this.slotDecisions[slot] = d;
      }
      return d;
    }
    return this.owner.keyDecision(key);
  }

  /** Returns {@link KEEP} when `value` needs no change. */
  run(value: unknown): unknown {
    return this.walk(value, 0);
  }

  reset(): void {
    this.nodes = 0;
    this.pathLen = 0;
    this.top = 0;
    if (this.high > 0) {
      // Drop references to the caller's objects so that a long-lived redactor does not keep them alive.
      const scratch = this.scratch;
      for (let k = 0; k < this.high; k++) scratch[k] = undefined;
      this.high = 0;
    }
    if (this.pathHigh > 0) {
      const path = this.path as unknown[];
      for (let k = 0; k < this.pathHigh; k++) path[k] = undefined;
      this.pathHigh = 0;
    }
  }

  /** The redacted form of `v`, or {@link KEEP} when `v` needs no change. */
  private walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.walkString(v);
    if (++this.nodes > this.maxNodes) return v === TRUNCATED_SIZE ? KEEP : TRUNCATED_SIZE;
    if (typeof v === 'number') {
      return this.cardsInNumbers && v >= 1e12 && v < 1e19 && Number.isInteger(v) && leadingDigit(v) >= 2
        ? this.numberAsCard(String(v))
        : KEEP;
    }
    if (typeof v === 'object') return v === null ? KEEP : this.walkObject(v, depth);
    if (typeof v === 'bigint') {
      return this.cardsInNumbers && v >= 1_000_000_000_000n ? this.numberAsCard(String(v)) : KEEP;
    }
    return KEEP;
  }

  /** {@link walk} for a string. */
  private walkString(v: string): unknown {
    if (++this.nodes > this.maxNodes) return v === TRUNCATED_SIZE ? KEEP : TRUNCATED_SIZE;
    // nodes (now counting v) is v's position in this pass.
    const slot = this.nodes;
    if (slot < SLOTS && this.slotValues[slot] === v) return KEEP;
    const r = scanString(v, this.scan);
    if (r !== v) return r;
    if (slot < SLOTS && v.length <= MEMO_MAX_LENGTH) this.slotValues[slot] = v;
    return KEEP;
  }

  /** {@link walk}, but the value itself instead of {@link KEEP}: for places that always write. */
  private walkValue(v: unknown, depth: number): unknown {
    const r = this.walk(v, depth);
    return r === KEEP ? v : r;
  }

  private numberAsCard(digits: string): unknown {
    return isCardNumber(digits) ? cardCensor(digits) : KEEP;
  }

  // The value of a sensitive key. null and undefined stay (they hold nothing), and so does a value that
  // already is the censor, so that redacting redacted output returns the same reference.
  private censor(v: unknown): unknown {
    if (++this.nodes > this.maxNodes) return v === TRUNCATED_SIZE ? KEEP : TRUNCATED_SIZE;
    return v == null || v === CENSOR ? KEEP : CENSOR;
  }

  private walkObject(o: object, depth: number): unknown {
    if (depth > this.maxDepth) return TRUNCATED_DEPTH;
    const path = this.path;
    for (let k = 0; k < this.pathLen; k++) if (path[k] === o) return CIRCULAR;
    const savedPath = this.pathLen;
    const savedTop = this.top;
    path[this.pathLen++] = o;
    if (this.pathLen > this.pathHigh) this.pathHigh = this.pathLen;
    try {
      if (Array.isArray(o)) return this.walkArray(o, depth);
      const proto = Object.getPrototypeOf(o);
      if (proto === objectProto || proto === null) {
        const toJSON = (o as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return this.walkToJSON(o, toJSON, depth);
        return this.walkProps(o, depth, proto !== null && objectProtoHasEnumerable());
      }
      return this.walkSpecial(o, depth);
    } catch {
      return UNREDACTABLE;
    } finally {
      this.pathLen = savedPath;
      if (this.top > this.high) this.high = this.top;
      this.top = savedTop;
    }
  }

  private walkSpecial(o: object, depth: number): unknown {
    if (o instanceof Date || o instanceof RegExp) return KEEP;
    if (ArrayBuffer.isView(o)) return binaryMarker(o.byteLength);
    if (
      o instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer === 'function' && o instanceof SharedArrayBuffer)
    ) {
      return binaryMarker(o.byteLength);
    }
    if (isError(o)) return this.walkError(o, depth);
    if (o instanceof Map) return this.walkMap(o, depth);
    if (o instanceof Set) return this.walkSet(o, depth);
    if (o instanceof Promise || o instanceof WeakMap || o instanceof WeakSet || o instanceof WeakRef)
      return KEEP;
    if (o instanceof String || o instanceof Number || o instanceof Boolean)
      return this.walkValue(o.valueOf(), depth);
    const toJSON = (o as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.walkToJSON(o, toJSON, depth);
    return this.walkProps(o, depth, true);
  }

  // What JSON.stringify would serialize is the toJSON() result, so that is what gets redacted.
  private walkToJSON(o: object, toJSON: Function, depth: number): unknown {
    let json: unknown;
    try {
      json = toJSON.call(o, '');
    } catch {
      return UNREDACTABLE;
    }
    if (json === o) return this.walkProps(o, depth, true);
    // Even a clean result replaces the original: the caller must log the toJSON() output we scanned.
    return this.walkValue(json, depth);
  }

  /**
   * `checkOwn` is false for a plain object while Object.prototype has no enumerable properties (see
   * objectProtoHasEnumerable): for..in then yields own keys only, and skipping Object.hasOwn() per key
   * (about 140 instructions each, and once more per key when a copy is built) halves the cost of a clean
   * object and takes a third off one with PII. Otherwise inherited keys are skipped, so they can never
   * become own properties of the output.
   */
  private walkProps(o: object, depth: number, checkOwn: boolean): unknown {
    const src = o as Record<string, unknown>;
    const scratch = this.scratch;
    const base = this.top;
    // This object's position in the pass: its shape is remembered under it (see Shape).
    const at = this.nodes;
    let changed = false;
    for (const key in src) {
      if (checkOwn && !hasOwn(src, key)) continue;
      let v: unknown;
      // A flag rather than a sentinel value: comparing v (any type) with a sentinel cost a call to V8's
      // generic equality builtin per property.
      let threw = false;
      try {
        v = src[key];
      } catch {
        threw = true;
      }
      const d = this.keyAt(key, this.nodes);
      let r: unknown;
      if (threw) {
        r = UNREDACTABLE;
        ++this.nodes;
      } else if (d === 0) {
        // Most values are strings: going straight to walkString() skips walk()'s type dispatch.
        r = typeof v === 'string' ? this.walkString(v) : this.walk(v, depth + 1);
      } else if (d === 1) {
        r = this.censor(v);
      } else {
        r = d.sensitive ? this.censor(v) : this.walk(v, depth + 1);
      }
      // The output pair, kept whether or not anything changes yet: a copy is built once, at the end.
      // A decision object always renames the key (see keyDecision).
      if (typeof d === 'number') {
        scratch[this.top++] = key;
      } else {
        scratch[this.top++] = d.key;
        changed = true;
      }
      if (r === KEEP) {
        scratch[this.top++] = v;
      } else {
        scratch[this.top++] = r;
        changed = true;
      }
      if (changed && this.nodes > this.maxNodes) break;
    }
    return changed ? this.owner.shapes.build(scratch, base, this.top, at) : KEEP;
  }

  private walkArray(a: readonly unknown[], depth: number): unknown {
    const scratch = this.scratch;
    const base = this.top;
    const n = a.length;
    let out: unknown[] | undefined;
    for (let i = 0; i < n; i++) {
      let v: unknown;
      let r: unknown;
      try {
        v = a[i];
        r = this.walk(v, depth + 1);
      } catch {
        r = UNREDACTABLE;
      }
      if (out === undefined) {
        if (r === KEEP) {
          scratch[this.top++] = v;
          continue;
        }
        out = [];
        for (let k = base; k < this.top; k++) out.push(scratch[k]);
      }
      out.push(r === KEEP ? v : r);
      if (this.nodes > this.maxNodes) break;
    }
    return out === undefined ? KEEP : out;
  }

  private walkMap(m: Map<unknown, unknown>, depth: number): unknown {
    const scratch = this.scratch;
    const base = this.top;
    let out: Map<unknown, unknown> | undefined;
    for (const [k, v] of m) {
      let rk: unknown = KEEP;
      let rv: unknown;
      if (typeof k === 'string') {
        const d = this.owner.keyDecision(k);
        const sensitive = d === 1 || (d !== 0 && d.sensitive);
        if (typeof d === 'object') rk = d.key;
        rv = sensitive ? this.censor(v) : this.walk(v, depth + 1);
      } else {
        rk = this.walk(k, depth + 1);
        rv = this.walk(v, depth + 1);
      }
      if (rk === KEEP) rk = k;
      if (out === undefined) {
        if (rk === k && rv === KEEP) {
          scratch[this.top++] = k;
          scratch[this.top++] = v;
          continue;
        }
        out = new Map();
        for (let i = base; i < this.top; i += 2) out.set(scratch[i], scratch[i + 1]);
      }
      out.set(rk, rv === KEEP ? v : rv);
      if (this.nodes > this.maxNodes) break;
    }
    return out === undefined ? KEEP : out;
  }

  private walkSet(s: Set<unknown>, depth: number): unknown {
    const scratch = this.scratch;
    const base = this.top;
    let out: Set<unknown> | undefined;
    for (const v of s) {
      const r = this.walk(v, depth + 1);
      if (out === undefined) {
        if (r === KEEP) {
          scratch[this.top++] = v;
          continue;
        }
        out = new Set();
        for (let i = base; i < this.top; i++) out.add(scratch[i]);
      }
      out.add(r === KEEP ? v : r);
      if (this.nodes > this.maxNodes) break;
    }
    return out === undefined ? KEEP : out;
  }

  private readField(e: object, key: string, depth: number): unknown {
    let v: unknown;
    try {
      v = (e as Record<string, unknown>)[key];
    } catch {
      return UNREDACTABLE;
    }
    return this.walkValue(v, depth + 1);
  }

  // Shaped like pino-std-serializers' err (and errWithCause) output so log pipelines see one format.
  private walkError(e: Error, depth: number): unknown {
    const out: Record<string, unknown> = {};
    let type: unknown;
    try {
      const ctor = (e as { constructor?: unknown }).constructor;
      type = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : e.name;
    } catch {
      type = 'Error';
    }
    out.type = typeof type === 'string' ? type : 'Error';
    out.message = this.readField(e, 'message', depth);
    out.stack = this.readField(e, 'stack', depth);
    let errors: unknown;
    try {
      errors = (e as { errors?: unknown }).errors;
    } catch {
      errors = undefined;
    }
    if (Array.isArray(errors)) out.aggregateErrors = this.walkValue(errors, depth + 1);
    for (const key in e) {
      if (!hasOwn(e, key) || key === 'cause' || hasOwn(out, key)) continue;
      let v: unknown;
      try {
        v = (e as unknown as Record<string, unknown>)[key];
      } catch {
        setProp(out, key, UNREDACTABLE);
        continue;
      }
      const d = this.owner.keyDecision(key);
      if (d === 0) {
        setProp(out, key, this.walkValue(v, depth + 1));
      } else {
        const sensitive = d === 1 || d.sensitive;
        const outKey = d === 1 ? key : d.key;
        setProp(out, outKey, sensitive ? (v == null ? v : CENSOR) : this.walkValue(v, depth + 1));
      }
      if (this.nodes > this.maxNodes) return out;
    }
    let hasCause = false;
    try {
      hasCause = 'cause' in e;
    } catch {
      hasCause = false;
    }
    if (hasCause) {
      const cause = this.readField(e, 'cause', depth);
      if (cause !== undefined) out.cause = cause;
    }
    return out;
  }
}

/**
 * Creates a redactor with its own policy. Options are validated as a whole; invalid options throw a
 * {@link RedactOptionsError} listing every problem. `IMMO_REDACT_EXTRA_KEYS` (comma-separated) is used
 * as `extraKeys` when that option is not given.
 *
 * @example
 * ```ts
 * import { createRedactor } from '@immo/redact';
 * const r = createRedactor({ extraKeys: ['dsn'], patterns: [{ name: 'tenant', pattern: /\bT-\d{6}\b/ }] });
 * r.redact({ dsn: 'postgres://u:p@db/x', note: 'tenant T-123456' });
 * // { dsn: '[REDACTED]', note: 'tenant [REDACTED:tenant]' }
 * ```
 */
export function createRedactor(options?: RedactOptions): Redactor {
  return new RedactorImpl(options);
}

let defaultRedactor: Redactor | undefined;

// Created on first use so that IMMO_REDACT_EXTRA_KEYS set during start-up is honoured and importing the
// package has no side effects.
function getDefault(): Redactor {
  if (defaultRedactor === undefined) {
    try {
      defaultRedactor = createRedactor();
    } catch {
      // Only reachable through a broken environment; fall back to the built-in policy.
      defaultRedactor = createRedactor({ extraKeys: [] });
    }
  }
  return defaultRedactor;
}

/**
 * Redacts with the default policy ({@link DEFAULT_KEYS}, every detector, `IMMO_REDACT_EXTRA_KEYS`).
 *
 * @example
 * ```ts
 * import { redact } from '@immo/redact';
 * redact({ headers: { authorization: 'Bearer abc' }, payer: 'DE89 3704 0044 0532 0130 00' });
 * // { headers: { authorization: '[REDACTED]' }, payer: '[REDACTED:iban:DE…3000]' }
 * ```
 */
export const redact: <T>(value: T) => T = (value) => getDefault().redact(value);

/**
 * Runs the default value detectors over one string.
 *
 * @example
 * ```ts
 * import { redactString } from '@immo/redact';
 * redactString('card 4111 1111 1111 1111 declined'); // 'card [REDACTED:card:…1111] declined'
 * ```
 */
export const redactString: (value: string) => string = (value) => getDefault().redactString(value);
