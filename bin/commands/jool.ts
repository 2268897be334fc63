/** `nat64lab jool build`: build (or rebuild) the Jool appliance the `jool` target boots. */
import { LabUnavailable } from '../../harness/lab/netns';
import { applianceDir, buildAppliance, cachedAppliance } from '../../harness/targets/jool-appliance';
import { parseOptions } from './args';
import { UsageError } from './usage-error';

export const JOOL_HELP = [
  '  build           build the appliance (Debian kernel + initramfs with jool-dkms, jool-tools and',
  '                  qemu-guest-agent, from Debian packages only) into the cache folder',
  '                  ($XDG_CACHE_HOME/nat64lab/jool or ~/.cache/nat64lab/jool); kept when present',
  '  --force         rebuild even when a cached appliance exists',
  'Needs root, debootstrap, cpio and zstd and the Debian mirror; takes about 3 minutes.',
  "The target 'jool' builds the appliance itself when it is missing.",
].join('\n');

export async function joolCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { force: { type: 'boolean' } }, 'jool');
  if (positionals[0] !== 'build' || positionals.length > 1) {
    throw new UsageError(`jool: expected 'build' [--force], got '${positionals.join(' ') || '(nothing)'}'; see 'nat64lab jool --help'`);
  }
  const have = cachedAppliance();
  if (have && values.force !== true) {
    const v = have.versions;
    process.stdout.write(`jool appliance already built (${v.built}): kernel ${v.kernel}, jool ${v.jool}, qemu-ga ${v.qemuGuestAgent}\n${have.dir}\nuse --force to rebuild\n`);
    return 0;
  }
  try {
    const app = await buildAppliance((line) => process.stdout.write(line + '\n'), applianceDir());
    process.stdout.write(`${app.dir}\n`);
    return 0;
  } catch (e) {
    if (e instanceof LabUnavailable) {
      process.stderr.write(`nat64lab jool: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
