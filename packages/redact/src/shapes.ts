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

/** Makes the copy from the pairs in `pairs[base..)`: key, value, key, value, ... */
type Maker = (pairs: readonly unknown[], base: number) => Record<string, unknown>;

interface Shape {
  readonly keys: readonly string[];
  maker: Maker | undefined;
  seen: number;
}

// Positions with a remembered shape (the walk's first N positions, as for the key and value memos).
const SLOTS = 256;
// Objects with more keys are copied key by key: their literal would be large and they are rarely hot.
const MAX_KEYS = 32;
// Compiled makers per redactor. A service logs a bounded set of shapes; this caps memory and compile
// time for one that logs objects keyed by ids (whose shapes never repeat).
const MAX_MAKERS = 512;
// Seen this often at one position before compiling: a shape seen once is not worth a compile.
const COMPILE_AFTER = 2;

// Copies of plain objects are built by `new PlainObject()`: the same prototype and own properties as
// `{}`, but V8 reserves in-object slots for a constructor's objects (sized by the first few it makes),
// where `{}` gets four and moves further properties to a separate array, reallocated as the copy grows.
const PlainObject = function PlainObject() {} as unknown as new () => Record<string, unknown>;
PlainObject.prototype = Object.prototype;

/** `target[key] = value` as an own data property, also for the key `__proto__`. */
export function setProp(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
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
      for (let i = 0; i < n; i++) keys[i] = pairs[base + 2 * i] as string;
      this.shapes[at] = { keys, maker: undefined, seen: 1 };
    }
    return copyByKey(pairs, base, end);
  }

  private compile(keys: readonly string[]): Maker | undefined {
    try {
      const maker = new Function('p', 'b', makerSource(keys)) as Maker;
      this.makers++;
      return maker;
    } catch {
      // Code generation disallowed (or an engine limit): copy key by key from now on.
      this.canCompile = false;
      return undefined;
    }
  }
}

function sameKeys(keys: readonly string[], pairs: readonly unknown[], base: number, n: number): boolean {
  if (keys.length !== n) return false;
  for (let i = 0; i < n; i++) if (keys[i] !== pairs[base + 2 * i]) return false;
  return true;
}
