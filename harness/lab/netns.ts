/**
 * Network namespaces for lab runs. Each namespace is registered for teardown
 * (processes killed, namespace deleted) and gets a marker file under
 * /run/nat64lab naming its owner, so a later `nat64lab clean` can tell an
 * abandoned namespace (owner gone) from one a live run is using.
 *
 * Namespaces get only `lo`; nothing here adds a route to the host's network,
 * so no lab packet can leave the machine.
 */
import { ChildProcess, SpawnOptions, execFile, execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'fs';
import { onTeardown } from './teardown';

export { onTeardown } from './teardown';

/** The lab cannot run here (not root, a tool missing); the message is the one-line reason. */
export class LabUnavailable extends Error {}

const MARKER_DIR = '/run/nat64lab';

/** Throws LabUnavailable unless running as root. */
export function requireRoot(what: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new LabUnavailable(
      `${what} needs root (it creates network namespaces); run as root, or use an in-process target (--target engine, --dns64 own)`,
    );
  }
}

/** Debian packages that provide the tools the lab runs. */
const PACKAGE_OF: Record<string, string> = { ip: 'iproute2', tc: 'iproute2', nft: 'nftables', sysctl: 'procps' };
const toolChecked = new Set<string>();

/** Throws LabUnavailable when `tool` is not on PATH (or in the sbin folders), naming the Debian package. */
export function requireTool(tool: string): void {
  if (toolChecked.has(tool)) return;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  if (!dirs.some((d) => d && existsSync(`${d}/${tool}`))) {
    const pkg = PACKAGE_OF[tool];
    throw new LabUnavailable(`'${tool}' not found${pkg ? `; install it with 'apt-get install ${pkg}'` : ''}`);
  }
  toolChecked.add(tool);
}

let prefix: string | undefined;

/** Short per-run prefix for namespace and interface names: 'nl' + 4 base36 characters; NAT64LAB_PREFIX overrides. */
export function runPrefix(): string {
  if (prefix !== undefined) return prefix;
  const env = process.env.NAT64LAB_PREFIX;
  if (env !== undefined && env !== '') {
    if (!/^[a-z][a-z0-9]{0,7}$/.test(env)) {
      throw new Error(`NAT64LAB_PREFIX='${env}' is not usable: give 1–8 lower-case letters/digits starting with a letter`);
    }
    prefix = env;
  } else {
    prefix = 'nl' + Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  }
  return prefix;
}

/** One line from a failed command: its stderr, or the error message. */
function oneLine(e: unknown): string {
  const err = e as { stderr?: string | Buffer; message?: string };
  const text = String(err.stderr ?? '').trim() || String(err.message ?? e);
  return text.split('\n').filter((l) => l.trim() !== '')[0] ?? 'failed';
}

function run(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 30000, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const how = err.killed ? `timed out after ${opts.timeoutMs ?? 30000} ms` : oneLine({ stderr, message: err.message });
          reject(new Error(`${file} ${args.join(' ')}: ${how}`));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Start time of a process (clock ticks since boot), so a reused pid is not mistaken for the owner. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface Marker {
  pid: number;
  start?: string;
  prefix: string;
}

function markerPath(ns: string): string {
  return `${MARKER_DIR}/${ns}`;
}

function writeMarker(ns: string): void {
  mkdirSync(MARKER_DIR, { recursive: true });
  const m: Marker = { pid: process.pid, start: startTime(process.pid), prefix: runPrefix() };
  writeFileSync(markerPath(ns), JSON.stringify(m) + '\n');
}

function removeMarker(ns: string): void {
  try {
    unlinkSync(markerPath(ns));
  } catch {
    /* already gone */
  }
}

function ownerAlive(m: Marker): boolean {
  const st = startTime(m.pid);
  return st !== undefined && (m.start === undefined || st === m.start);
}

/** Kills every process in the namespace and deletes it, synchronously; for the exit path. */
function destroySync(name: string, extraPids: number[]): void {
  for (const pid of [...extraPids, ...pidsInSync(name)]) killQuietly(pid, 'SIGKILL');
  try {
    execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  removeMarker(name);
}

function pidsInSync(name: string): number[] {
  try {
    const out = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return parsePids(out);
  } catch {
    return [];
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* exited already */
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** `ip <args>` in the harness's own namespace; args are split on whitespace. */
export async function hostIp(args: string): Promise<void> {
  requireTool('ip');
  await run('ip', args.trim().split(/\s+/));
}

export class Netns {
  private readonly children = new Set<ChildProcess>();
  private deleted = false;
  private readonly unregister: () => void;

  private constructor(readonly name: string) {
    this.unregister = onTeardown(() => {
      this.deleted = true;
      destroySync(this.name, [...this.children].filter((c) => !exited(c) && c.pid).map((c) => c.pid!));
    });
  }

  /** Creates the namespace with only `lo` up (no route out) and registers it for teardown. */
  static async create(name: string): Promise<Netns> {
    requireRoot(`network namespace '${name}'`);
    requireTool('ip');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new Error(`namespace name '${name}' is not usable: give letters, digits, '_', '.', '-'`);
    }
    // The marker exists before the namespace, so a namespace is never unowned.
    writeMarker(name);
    try {
      await run('ip', ['netns', 'add', name]);
    } catch (e) {
      removeMarker(name);
      const exists = /exist/i.test((e as Error).message);
      throw new Error(
        exists
          ? `network namespace '${name}' already exists; if it is left from an earlier run, remove it with 'nat64lab clean'`
          : (e as Error).message,
      );
    }
    const ns = new Netns(name);
    try {
      await ns.ip('link set lo up');
    } catch (e) {
      await ns.delete();
      throw e;
    }
    return ns;
  }

  /** `ip -n <name> <args>`; args are split on whitespace. */
  async ip(args: string): Promise<void> {
    const argv = args.trim().split(/\s+/);
    try {
      await run('ip', ['-n', this.name, ...argv]);
    } catch (e) {
      throw new Error(`in namespace '${this.name}': ${(e as Error).message}`);
    }
  }

  /** Runs argv inside the namespace and returns its output; a non-zero exit throws with the first stderr line. */
  exec(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', this.name, ...argv], opts).catch((e: Error) => {
      throw new Error(`in namespace '${this.name}': ${e.message.replace(/^ip netns exec \S+ /, '')}`);
    });
  }

  /** Starts argv inside the namespace; the process is killed when the namespace is deleted or the run ends. */
  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    if (this.deleted) throw new Error(`namespace '${this.name}' is deleted; cannot start ${argv[0]}`);
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], opts);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    // A missing program is reported through the exit code of `ip netns exec`; spawn errors are for `ip` itself.
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Sets sysctls inside the namespace (`net.ipv6.conf.all.forwarding: 1`, ...). */
  async sysctl(kv: Record<string, string | number>): Promise<void> {
    const entries = Object.entries(kv);
    if (entries.length === 0) return;
    // Written through /proc/sys inside the namespace: no dependency on procps.
    const script = entries
      .map(([k, v]) => {
        if (!/^[A-Za-z0-9_.\-/]+$/.test(k) || !/^[A-Za-z0-9_. :-]*$/.test(String(v))) {
          throw new Error(`sysctl ${k}=${v}: not a plain key and value`);
        }
        return `echo '${v}' > /proc/sys/${k.replace(/\./g, '/')}`;
      })
      .join(' && ');
    await this.exec(['sh', '-c', script]).catch((e: Error) => {
      throw new Error(`sysctl ${entries.map(([k, v]) => `${k}=${v}`).join(' ')}: ${e.message}`);
    });
  }

  /** Kills the processes it started (SIGTERM, then SIGKILL) and any other process inside, then deletes the namespace. Safe twice. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.unregister();
    const live = [...this.children].filter((c) => !exited(c));
    for (const c of live) c.kill('SIGTERM');
    await Promise.all(live.map((c) => waitExit(c, 1000)));
    for (const c of live) if (!exited(c)) c.kill('SIGKILL');
    const others = await run('ip', ['netns', 'pids', this.name]).then((r) => parsePids(r.stdout), () => []);
    for (const pid of others) killQuietly(pid, 'SIGKILL');
    await run('ip', ['netns', 'delete', this.name]).catch((e: Error) => {
      if (!/No such file|not exist/i.test(e.message)) throw new Error(`deleting namespace '${this.name}': ${e.message}`);
    });
    removeMarker(this.name);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Names of namespaces currently present: the files under /run/netns (`ip netns list` errors while another namespace is being deleted). */
function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/**
 * Removes namespaces (and root-namespace links) left by earlier runs whose
 * owner process is gone, recognised by their marker under /run/nat64lab.
 * Returns what it removed, e.g. ['netns nl3f9a-dut', 'link nl3f9a6'].
 */
export async function cleanLeftovers(): Promise<string[]> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new LabUnavailable('removing lab namespaces needs root; run it as root');
  }
  requireTool('ip');
  const removed: string[] = [];
  let markers: string[] = [];
  try {
    markers = readdirSync(MARKER_DIR);
  } catch {
    return removed;
  }
  const present = new Set(listNamespaces());
  const deadPrefixes = new Set<string>();
  const livePrefixes = new Set<string>();
  for (const ns of markers) {
    let m: Marker;
    try {
      m = JSON.parse(readFileSync(markerPath(ns), 'utf8')) as Marker;
    } catch {
      continue; // being written by a live run, or not ours
    }
    if (ownerAlive(m)) {
      livePrefixes.add(m.prefix);
      continue;
    }
    deadPrefixes.add(m.prefix);
    if (present.has(ns)) {
      destroySync(ns, []);
      removed.push(`netns ${ns}`);
    } else removeMarker(ns);
  }
  // Links in the host namespace with a dead run's prefix (veths left half-moved); never a live run's.
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (!m) continue;
    const link = m[1];
    const owner = [...deadPrefixes].find((p) => link.startsWith(p));
    if (!owner || [...livePrefixes].some((p) => link.startsWith(p))) continue;
    try {
      execFileSync('ip', ['link', 'delete', link], { stdio: 'ignore' });
      removed.push(`link ${link}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return removed;
}
