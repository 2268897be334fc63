/** `nat64lab clean`: remove network namespaces and links left by lab runs that ended without tearing down. */
import { LabUnavailable, cleanLeftovers } from '../../harness/lab/netns';
import { parseOptions } from './args';
import { UsageError } from './usage-error';

export const CLEAN_HELP = [
  'Removes network namespaces (and their processes) and host links left by earlier lab runs whose',
  'process is gone, recognised by their markers under /run/nat64lab; namespaces of runs still going',
  'are kept. Prints what it removed. Needs root.',
].join('\n');

export async function cleanCommand(args: string[]): Promise<number> {
  const { positionals } = parseOptions(args, {}, 'clean');
  if (positionals.length) throw new UsageError(`clean takes no arguments, got '${positionals[0]}'; run 'nat64lab clean'`);
  let removed: string[];
  try {
    removed = await cleanLeftovers();
  } catch (e) {
    if (e instanceof LabUnavailable) {
      process.stderr.write(`nat64lab clean: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  process.stdout.write(removed.length ? removed.map((r) => `removed ${r}`).join('\n') + '\n' : 'nothing to clean\n');
  return 0;
}
