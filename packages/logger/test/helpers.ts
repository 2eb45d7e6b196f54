import type { DestinationStream } from 'pino';

/** An in-memory destination that parses every line written to it. */
export function memory(): DestinationStream & { lines: Record<string, unknown>[]; text: string[] } {
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  return {
    lines,
    text,
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        text.push(line);
        lines.push(JSON.parse(line));
      }
    },
  };
}

/** A valid IBAN (mod-97 checked) used as planted PII. */
export const IBAN = 'DE89370400440532013000';
export const IBAN_SPACED = 'DE89 3704 0044 0532 0130 00';
