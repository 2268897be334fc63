/**
 * The Jool appliance: a Debian kernel and an initramfs with Jool, built from
 * Debian packages by harness/jool/build-appliance.sh and cached in the
 * user's cache folder with a versions.json that records what went in. A
 * missing appliance is built on demand; `nat64lab jool build --force`
 * rebuilds it.
 */
import { spawn } from 'child_process';
import { existsSync, mkdirSync, readFileSync } from 'fs';
import { homedir } from 'os';
import path from 'path';
import { LabUnavailable, requireTool } from '../lab/netns';

export interface ApplianceVersions {
  kernel: string;
  jool: string;
  qemuGuestAgent: string;
  debian?: string;
  built: string;
}

export interface Appliance {
  dir: string;
  kernel: string;
  initrd: string;
  versions: ApplianceVersions;
}

const BUILD_SCRIPT = path.resolve(__dirname, '../../../harness/jool/build-appliance.sh');

/** `$XDG_CACHE_HOME/nat64lab/jool`, else `~/.cache/nat64lab/jool`; NAT64LAB_JOOL_APPLIANCE overrides. */
export function applianceDir(): string {
  if (process.env.NAT64LAB_JOOL_APPLIANCE) return path.resolve(process.env.NAT64LAB_JOOL_APPLIANCE);
  const cache = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cache, 'nat64lab', 'jool');
}

/** The cached appliance, or undefined when it is missing or incomplete (versions.json is written last). */
export function cachedAppliance(dir = applianceDir()): Appliance | undefined {
  const kernel = path.join(dir, 'vmlinuz');
  const initrd = path.join(dir, 'initrd.img');
  const vfile = path.join(dir, 'versions.json');
  if (!existsSync(kernel) || !existsSync(initrd) || !existsSync(vfile)) return undefined;
  try {
    return { dir, kernel, initrd, versions: JSON.parse(readFileSync(vfile, 'utf8')) as ApplianceVersions };
  } catch {
    return undefined;
  }
}

/** Throws LabUnavailable unless the appliance can be built here. */
function checkBuildPrerequisites(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new LabUnavailable("building the Jool appliance needs root (debootstrap, chroot, mounts); run 'nat64lab jool build' as root");
  }
  for (const [tool, pkg] of [['debootstrap', 'debootstrap'], ['cpio', 'cpio'], ['zstd', 'zstd']]) {
    try {
      requireTool(tool);
    } catch {
      throw new LabUnavailable(`'${tool}' not found; install it with 'apt-get install ${pkg}' (the Jool appliance build needs debootstrap, cpio and zstd)`);
    }
  }
  if (!existsSync(BUILD_SCRIPT)) throw new LabUnavailable(`the appliance build script is missing: ${BUILD_SCRIPT}`);
}

/**
 * Builds the appliance into `dir` (about 3 minutes from nothing), printing
 * the script's progress lines through `log`. Resolves with the appliance.
 */
export function buildAppliance(log: (line: string) => void, dir = applianceDir()): Promise<Appliance> {
  checkBuildPrerequisites();
  mkdirSync(path.dirname(dir), { recursive: true });
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const lines = (b: Buffer, keep: boolean) => {
      const text = b.toString('utf8');
      if (keep) tail = (tail + text).slice(-4000);
      for (const l of text.split('\n')) if (l.startsWith('jool build:')) log(l);
    };
    child.stdout.on('data', (b: Buffer) => lines(b, false));
    child.stderr.on('data', (b: Buffer) => lines(b, true));
    child.once('error', (e) => reject(new LabUnavailable(`cannot run the appliance build: ${e.message}`)));
    child.once('exit', (code) => {
      const app = cachedAppliance(dir);
      if (code === 0 && app) {
        log(`jool build: done in ${((Date.now() - started) / 1000).toFixed(0)} s: kernel ${app.versions.kernel}, jool ${app.versions.jool}`);
        resolve(app);
      } else {
        const why = tail.split('\n').map((l) => l.trim()).filter((l) => l).pop() ?? `exit status ${code}`;
        reject(new LabUnavailable(`building the Jool appliance failed: ${why}`));
      }
    });
  });
}

let building: Promise<Appliance> | undefined;

/** The cached appliance, built first when missing (one build per process, however many callers). */
export async function ensureAppliance(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<Appliance> {
  const have = cachedAppliance();
  if (have) return have;
  building ??= buildAppliance(log).finally(() => (building = undefined));
  return building;
}
