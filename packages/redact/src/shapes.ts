/**
 * Builds the copies of plain objects that redaction changes. A logger redacts objects of a few shapes over
 * and over (the same keys in the same order at the same place of the same log call), and writing a copy
 * key by key is the most expensive part of redacting one: every `out[key] = value` with a key only known
 * at run time is a store that V8 cannot specialise (it sees every shape at one site) and that moves the
 * new object to a new hidden class. An object literal with fixed keys is instead made from a template in
 * one step. So once the same output keys have been seen twice at one walk position, a small function
 * returning that literal is compiled for them (the way fast-redact and fast-json-stringify compile their
 * work) and used from then on; any other shape is copied key by key.
 *
 * Compiling needs `new Function`. Where code generation from strings is disallowed
 * (`--disallow-code-generation-from-strings`) the first attempt fails and every copy is made key by key,
 * with the same result.
 */

import { MAX_KEY_LENGTH, SLOTS } from './memo.js';

/** Makes the copy from the pairs in `pairs[base..)`: key, value, key, value, ... */
type Maker = (pairs: readonly unknown[], base: number) => Record<string, unknown>;

interface Shape {
  readonly keys: readonly string[];
  maker: Maker | undefined;
  seen: number;
}

// Objects with more keys are copied key by key: their literal would be large and they are rarely hot.
const MAX_KEYS = 32;
// Compiled makers per redactor. A service logs a bounded set of shapes; this caps memory and compile
// time for one that logs objects keyed by ids (whose shapes never repeat).
const MAX_MAKERS = 512;
// Seen this often at one position before compiling: a shape seen once is not worth a compile.
const COMPILE_AFTER = 2;

const objectProto = Object.prototype;

// Copies of plain objects are built by `new PlainObject()`: the same prototype and own properties as
// `{}`, but V8 reserves in-object slots for a constructor's objects (sized by the first few it makes),
// where `{}` gets four and moves further properties to a separate array, reallocated as the copy grows.
const PlainObject = function PlainObject() {} as unknown as new () => Record<string, unknown>;
PlainObject.prototype = objectProto;

/**
 * `target[key] = value` as an own data property, as an object literal would define it. A plain
 * assignment is used where it does the same, which is almost always; a key that Object.prototype has
 * (`__proto__`, `toString`, or one a library or an attacker put there, perhaps with a setter or frozen)
 * is defined instead, so that such a key is neither lost to a setter nor made to throw.
 */
export function setProp(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key in objectProto) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function copyByKey(pairs: readonly unknown[], base: number, end: number): Record<string, unknown> {
  const out = new PlainObject();
  for (let k = base; k < end; k += 2) setProp(out, pairs[k] as string, pairs[k + 1]);
  return out;
}

/**
 * The source of `(p, b) => ({ "k0": p[b + 1], "k1": p[b + 3], ... })`. JSON.stringify quotes any key as
 * a valid JavaScript string literal; `__proto__` is written as a computed key, which defines an own
 * property (the plain `"__proto__": v` form would set the prototype instead). A key repeated in `keys`
 * (two keys renamed to the same censor) keeps its first position and its last value, as assignments do.
 */
export function makerSource(keys: readonly string[]): string {
  const fields = keys.map((key, i) => {
    const name = key === '__proto__' ? '["__proto__"]' : JSON.stringify(key);
    return `${name}: p[b + ${2 * i + 1}]`;
  });
  return `return {${fields.join(', ')}};`;
}

export class ShapeCopier {
  /** @internal Functions compiled so far (for tests). */
  get compiled(): number {
    return this.makers;
  }

  private readonly shapes: (Shape | undefined)[] = new Array<Shape | undefined>(SLOTS).fill(undefined);
  private makers = 0;
  private canCompile = true;

  /**
   * A new plain object with the pairs in `pairs[base..end)` (key, value, key, value, ...), in order.
   * `at` is the object's position in the walk.
   */
  build(pairs: readonly unknown[], base: number, end: number, at: number): Record<string, unknown> {
    const n = (end - base) >> 1;
    if (at >= SLOTS || n > MAX_KEYS) return copyByKey(pairs, base, end);
    const shape = this.shapes[at];
    if (shape !== undefined && sameKeys(shape.keys, pairs, base, n)) {
      if (shape.maker !== undefined) return shape.maker(pairs, base);
      if (++shape.seen >= COMPILE_AFTER && this.canCompile && this.makers < MAX_MAKERS) {
        shape.maker = this.compile(shape.keys);
        if (shape.maker !== undefined) return shape.maker(pairs, base);
      }
    } else {
      const keys = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const key = pairs[base + 2 * i] as string;
        // Like the key memo, the shapes must not keep a huge key alive (nor compile it into code).
        if (key.length > MAX_KEY_LENGTH) return copyByKey(pairs, base, end);
        keys[i] = key;
      }
      this.shapes[at] = { keys, maker: undefined, seen: 1 };
    }
    return copyByKey(pairs, base, end);
  }

  private compile(keys: readonly string[]): Maker | undefined {
    try {
      const maker = new Function('p', 'b', makerSource(keys)) as Maker;
      this.makers++;
      return maker;
    } catch (err) {
      // Code generation disallowed (EvalError; a locked-down Function constructor throws TypeError):
      // copy key by key from now on. A RangeError (no stack left for the compiler) is momentary.
      if (!(err instanceof RangeError)) this.canCompile = false;
      return undefined;
    }
  }
}

function sameKeys(keys: readonly string[], pairs: readonly unknown[], base: number, n: number): boolean {
  if (keys.length !== n) return false;
  for (let i = 0; i < n; i++) if (keys[i] !== pairs[base + 2 * i]) return false;
  return true;
}
