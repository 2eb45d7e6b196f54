import {
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { Outcome } from './compile.js';
import type { Flags, FlagsInternals } from './flags.js';

type ValueType = 'boolean' | 'string' | 'number' | 'object';

/**
 * The OpenFeature provider over a {@link Flags} instance. It answers from the same precomputed
 * outcomes as the synchronous API (same reasons, same telemetry), so both paths agree. On an error
 * OpenFeature hands the caller's default back; the declared default is what the sync API returns.
 */
class ImmoFlagsProvider implements Provider {
  readonly metadata = { name: 'immo-flags' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly hooks = [];
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly flags: Flags,
    private readonly internals: FlagsInternals,
  ) {
    this.subscribe();
  }

  private subscribe(): void {
    this.unsubscribe ??= this.flags.on('change', (change) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged: change.flagsChanged,
        message: `revision ${change.revision} (${change.source})`,
        metadata: { revision: change.revision, source: change.source },
      });
    });
  }

  /** Ready at once: the registry and the first file read are synchronous. */
  async initialize(): Promise<void> {
    this.subscribe();
  }

  private resolve<T>(
    key: string,
    type: ValueType,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    const outcome: Outcome = this.internals.evaluate(key, context, type);
    const r = outcome.resolution;
    if (r.errorCode !== undefined) {
      return Promise.resolve({ ...r, value: defaultValue } as ResolutionDetails<T>);
    }
    return Promise.resolve(r as ResolutionDetails<T>);
  }

  resolveBooleanEvaluation(
    key: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolve(key, 'boolean', defaultValue, context);
  }
  resolveStringEvaluation(
    key: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolve(key, 'string', defaultValue, context);
  }
  resolveNumberEvaluation(
    key: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(key, 'number', defaultValue, context);
  }
  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(key, 'object', defaultValue, context);
  }

  async onClose(): Promise<void> {
    // The flags instance belongs to the application (its watcher stops with flags.close()); the
    // provider only stops forwarding its changes.
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/** Creates the provider of a flags instance. */
export function createProvider(flags: Flags, internals: FlagsInternals): Provider {
  return new ImmoFlagsProvider(flags, internals);
}
