/** Option parsing for subcommands, with one-line errors. */
import { parseArgs } from 'util';
import { UsageError } from './usage-error';

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function parseOptions<S extends Spec>(args: string[], spec: S, command: string) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`${command}: ${msg}; see 'nat64lab ${command} --help'`);
  }
}

/** "a,b , c" → ["a","b","c"]; undefined stays undefined. */
export function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
