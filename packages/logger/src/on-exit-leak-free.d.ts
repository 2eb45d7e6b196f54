// on-exit-leak-free (a pino dependency, by the pino authors) ships no types.
declare module 'on-exit-leak-free' {
  export function register<T extends object>(
    obj: T,
    fn: (obj: T, event: 'exit' | 'beforeExit') => void,
  ): void;
  export function unregister(obj: object): void;
}
