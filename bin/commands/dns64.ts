/**
 * `nat64lab dns64 --config FILE.json`: run the own DNS64 as a daemon on
 * real sockets (UDP and TCP on every `listen` endpoint, upstream over UDP
 * with a fresh random source port per query and TCP after truncation), on
 * the real clock. Bad configuration: one line naming the file and field,
 * exit 2. SIGTERM/SIGINT close the sockets and exit 0.
 */
import { promises as fsp } from 'fs';
import { ConfigError } from '../../engine/config';
import { createDns64, parseDns64Config } from '../../engine/dns64';
import { listen } from '../../engine/dns64/sockets';
import { socketTransport } from '../../engine/dns64/sockets';
import { cryptoRandom } from '../../engine';
import { UsageError } from './usage-error';

export const DNS64_HELP = [
  'Runs the project\'s own DNS64 (RFC 6147, RFC 8880 ipv4only.arpa) until SIGTERM.',
  '  --config FILE   JSON: prefixes, exclude, upstream, upstreamTimeoutMs, upstreamTries,',
  '                  dnssec { validate, trustAnchors }, acl, cacheEntries, listen, faults, mode',
  '                  (engine/dns64/api.ts documents each key; all are optional).',
].join('\n');

export async function dns64Command(args: string[]): Promise<number> {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') file = args[++i];
    else throw new UsageError(`dns64: unexpected argument "${args[i]}"; usage: nat64lab dns64 --config FILE.json`);
  }
  if (!file) throw new UsageError('dns64: --config FILE.json is required (write {} for the defaults)');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`dns64: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`dns64: ${file} is not JSON (${(e as Error).message})`);
  }
  let config;
  try {
    config = parseDns64Config(raw, file);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const random = cryptoRandom();
  const server = createDns64(config, { clock: { now: () => Date.now() }, random, upstream: socketTransport(random), wallTime: () => Date.now() });
  let up;
  try {
    up = await listen(server, config.listen);
  } catch (e) {
    throw new UsageError(`dns64: cannot listen on ${config.listen.map((l) => `${l.address}#${l.port}`).join(', ')} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick a free port in "listen"`);
  }
  process.stdout.write(`dns64: listening on ${up.addresses.join(', ')} (UDP and TCP), upstream ${config.upstream.map((u) => `${u.address}#${u.port}`).join(', ')}\n`);
  const listening = up;
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      listening.close().then(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
