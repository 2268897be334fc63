/** `nat64lab engine`: the own NAT64 as a daemon translating on a TUN device. */
import { ConfigError } from '../../engine/config';
import { readDaemonConfig } from '../../engine/daemon/config';
import { describeConfig, startDaemon } from '../../engine/daemon/daemon';
import { defaultControlPath } from '../../engine/daemon/protocol';
import { parseOptions } from './args';
import { UsageError } from './usage-error';

export const ENGINE_HELP = [
  '  --config FILE    JSON: the engine configuration (see README) plus "tun": the TUN device to translate on',
  '                   (opened, or created, in the daemon\'s network namespace; its link state, addresses and routes are up to you),',
  '                   and optionally "dns64": the own DNS64 served by the same process (keys as for `nat64lab dns64 --config`)',
  '  --control PATH   control socket (default /run/nat64lab/engine-<tun>.sock): JSON lines, commands',
  '                   state, events, configure {config}, advance {ms}, stats, sync, deterministic {inside} or',
  '                   {address, port} (RFC 7422 test function), stop',
  '  --lab-clock      the clock is real time plus an offset that `advance` moves (for the lab)',
  'Runs until SIGTERM, SIGINT or `stop`; exits 0 then, 1 when the data path fails, 2 on bad input.',
].join('\n');

export async function engineCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    { config: { type: 'string' }, control: { type: 'string' }, 'lab-clock': { type: 'boolean' } },
    'engine',
  );
  if (positionals.length) throw new UsageError(`engine: unexpected argument "${positionals[0]}"; see 'nat64lab engine --help'`);
  const file = values.config as string | undefined;
  if (!file) throw new UsageError("engine: --config FILE is required; see 'nat64lab engine --help'");
  let config;
  try {
    config = readDaemonConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const controlPath = (values.control as string | undefined) ?? defaultControlPath(config.tun);

  let daemon;
  try {
    daemon = await startDaemon({ config, controlPath, labClock: values['lab-clock'] === true });
  } catch (err) {
    process.stderr.write(`nat64lab engine: ${(err as Error).message}\n`);
    return 1;
  }
  const onSignal = () => void daemon.stop();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.stdout.write(`nat64lab engine: ${describeConfig(config.tun, config.engine)}\n`);
  const code = await daemon.done;
  const failure = daemon.failure();
  if (failure) process.stderr.write(`nat64lab engine: ${failure}\n`);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}
