/**
 * What the four resolver targets (BIND, Unbound, PowerDNS Recursor, Knot
 * Resolver) share: a config directory per configuration, the server run in
 * the foreground inside the DNS lab namespace, readiness by a real answered
 * query, restart only when the configuration changes (otherwise the server's
 * own cache flush), and clean stop. Each server supplies a ServerDriver.
 */
import type { ChildProcess } from 'child_process';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as dnsPacket from 'dns-packet';
import { acquireDnsLab, clientSource, DnsLab, labTrustAnchor } from '../dns/dns-lab';
import { LAB } from '../lab/addressing';
import { DNS } from '../dns/names';
import type { Dns64Capabilities, Dns64EffectiveConfig, Dns64Needs, Dns64Prefix, Dns64Session, Dns64Target, Dns64TargetDescription } from '../dns/types';
import { LabUnavailable, onTeardown } from '../lab/netns';
import { ConfigRefused, NotApplicable } from '../lab/target';
import { PREF64_LENGTHS } from '../packet/rfc6052';

/** Milliseconds a server may take from exec to its first answered query. */
const READY_MS = 20000;
/** A trial configuration (validate) runs beside the case's server, this far up in port numbers. */
const TRIAL_PORT_OFFSET = 1000;
/** The lab's default Pref64 (LAB.pool6). */
export const LAB_PREFIX = '2001:db8:64::/96';
/** The clients of the DNS lab: the namespace's loopback network. */
export const LAB_CLIENTS = ['127.0.0.0/8'];
export const DEFAULT_EXCLUDE = ['::ffff:0:0/96'];

/** The lab settings one configuration is built from, with every default filled in. */
export interface LabSettings {
  /** Empty when the case asked for no prefix. */
  prefixes: Dns64Prefix[];
  exclude: string[];
  validate: boolean;
  acl: string[];
  /** True when the case set an ACL of its own (otherwise the server's default access rules stand). */
  aclSet: boolean;
  port: number;
  /** DS text of the lab trust anchor (signed.test). */
  trustAnchor: string;
  /** Address the server sends its upstream queries from, so its traffic is told apart in the shared lab. */
  queryFrom?: string;
  /** The server's own directory for this configuration (pid file, cache, control socket). */
  dir: string;
}

/** A generated configuration: files to write into the directory and the command line. */
export interface ServerPlan {
  /** File name → content; the first one is the main config shown in the report. */
  files: Record<string, string>;
  argv: string[];
  /** 'root' (iterates from root hints at the authority) or 'forward'; recorded in the report. */
  mode: 'root' | 'forward';
}

export interface ServerDriver {
  name: string;
  /** Binary that must exist, and the Debian package that has it. */
  binary: string;
  pkg: string;
  capabilities: Dns64Capabilities;
  /** Outgoing address of this server's upstream queries (127.0.0.11..14); absent when it cannot be set. */
  queryFrom?: string;
  /** Command line that prints the version. */
  versionArgv: string[];
  /** Throws NotApplicable when the needs are beyond the server; config-only checks. */
  check(needs: Dns64Needs): void;
  plan(s: LabSettings): ServerPlan;
  /** The configuration writes the prefix as an address, its length fixed (a /104 cannot be expressed, so it cannot be tried). */
  prefixAsAddress?: boolean;
  /** Empties the cache of a running server; absent = restart instead. */
  flush?(run: RunningServer): Promise<void>;
}

export interface RunningServer {
  lab: DnsLab;
  dir: string;
  child: ChildProcess;
}

/** Runs a program (on the host side) and returns stdout; a failure is one line. */
export function runTool(file: string, args: string[], timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${(stderr || err.message).trim().split('\n')[0]}`));
      else resolve(stdout + stderr);
    });
  });
}

export function hasBinary(bin: string): boolean {
  if (path.isAbsolute(bin)) return fs.existsSync(bin);
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs.some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** The settings for one case: the needs with the lab defaults filled in. */
export function settingsFor(needs: Dns64Needs, port: number, trustAnchor: string, queryFrom: string | undefined): Omit<LabSettings, 'dir'> {
  const prefixes = needs.unsetPrefix ? [] : needs.prefixes && needs.prefixes.length > 0 ? needs.prefixes : [{ prefix: LAB_PREFIX }];
  return {
    prefixes,
    exclude: needs.exclude ?? DEFAULT_EXCLUDE,
    validate: needs.validate ?? true,
    acl: needs.acl ? needs.acl.map(aclEntry) : LAB_CLIENTS,
    aclSet: needs.acl !== undefined,
    port,
    trustAnchor,
    queryFrom,
  };
}

/**
 * An ACL entry in the DNS lab's terms: the lab's IPv6 clients are loopback
 * sources there (dns-lab.ts clientSource), so a client address becomes its
 * source /32 and the client network the loopback network.
 */
function aclEntry(entry: string): string {
  const [addr, len] = entry.split('/');
  if (!addr.includes(':')) return entry;
  if (len === undefined || len === '128') {
    try {
      return `${clientSource(addr)}/32`;
    } catch {
      /* not a lab client: refused below */
    }
  }
  if (entry === '2001:db8:6::/64') return LAB_CLIENTS[0];
  throw new NotApplicable(`ACL entry ${entry}: the DNS lab's clients are ${LAB.client6.join(', ')} (in 2001:db8:6::/64) or 127.0.0.0/8 addresses`);
}

/** Checks the parts of the needs every server handles alike (prefix lengths, virtual clock, per-range, exclusions, unset prefix). */
export function checkCommon(caps: Dns64Capabilities, name: string, needs: Dns64Needs): void {
  if (needs.virtualClock && !caps.virtualClock) throw new NotApplicable(`${name} runs on real time; the case needs a virtual clock`);
  if (needs.unsetPrefix && !caps.unsetPrefix) throw new NotApplicable(`${name} cannot run DNS64 without a configured prefix`);
  const prefixes = needs.prefixes ?? [];
  for (const p of prefixes) {
    const len = Number(p.prefix.split('/')[1]);
    if (!caps.prefixLengths.includes(len)) {
      throw new NotApplicable(`${name} supports Pref64 lengths /${caps.prefixLengths.join(', /')} only; the case needs ${p.prefix}`);
    }
  }
  if ((prefixes.length > 1 || prefixes.some((p) => p.ipv4)) && !caps.perRangePrefixes) {
    throw new NotApplicable(`${name} takes a single Pref64; it cannot map IPv4 ranges to separate prefixes (RFC 6147 §5.2)`);
  }
  if (needs.exclude && !caps.exclusionConfig && !sameSet(needs.exclude, DEFAULT_EXCLUDE)) {
    throw new NotApplicable(`${name} has no setting for the AAAA exclusion list`);
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Splits a DS presentation line ("signed.test. IN DS 60667 13 2 HEX") into owner and rdata fields. */
export function parseDs(text: string): { owner: string; keyTag: string; algorithm: string; digestType: string; digest: string } {
  const f = text.trim().split(/\s+/);
  const i = f.indexOf('DS');
  if (i < 0 || f.length < i + 5) throw new Error(`not a DS record: ${text}`);
  return { owner: f[0].endsWith('.') ? f[0] : `${f[0]}.`, keyTag: f[i + 1], algorithm: f[i + 2], digestType: f[i + 3], digest: f.slice(i + 4).join('') };
}

/** Root hints naming the authority as the only root server (fake-root mode). */
export function rootHints(): string {
  return `.                 3600000 IN NS ns.${DNS.zone}.\nns.${DNS.zone}.   3600000 IN A  ${DNS.authorityAddress}\n`;
}

/** The line of a server's last output that says what went wrong (the cause, not the closing "exiting" or a warning). */
function tail(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-12);
  const cause = lines.filter((l) => !/exiting|loading configuration: failure|prio="(Warning|Notice|Info)"|\bwarning\b/i.test(l));
  const complaint = [...cause].reverse().find((l) => /error|fail|unable|invalid|mismatch|bad |not |refus|cannot|unknown/i.test(l));
  return complaint ?? lines[lines.length - 1] ?? '';
}

/** A loopback source the ACL allows, for the readiness probe (the network's first host, or the /32 itself). */
function probeSource(acl: string[]): string | undefined {
  for (const entry of acl) {
    const m = /^127\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(entry);
    if (!m) continue;
    const len = m[4] === undefined ? 32 : Number(m[4]);
    const last = Number(m[3]);
    return `127.${m[1]}.${m[2]}.${len >= 32 ? last : last + 1}`;
  }
  return undefined;
}

/** One client query the readiness probe sends: A of the authority's own name, answered in every mode. */
function readinessQuery(): Buffer {
  return dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65536), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: `ns.${DNS.zone}` }] });
}

function answered(bytes: Buffer | undefined): boolean {
  if (!bytes || bytes.length < 12) return false;
  return (bytes[3] & 0x0f) === 0 && bytes.readUInt16BE(6) > 0;
}

/** The server process ended before it answered: with the case's own configuration a harness error, in a trial a refusal. */
class ExitedAtStart extends Error {}

/** The common Dns64Target: one server process per configuration, in the shared DNS lab. */
export class ResolverTarget implements Dns64Target {
  readonly name: string;
  readonly capabilities: Dns64Capabilities;
  private lease?: { lab: DnsLab; release: () => Promise<void> };
  private running?: RunningServer & { key: string; config: Dns64EffectiveConfig; stderr: { text: string } };
  private unregister?: () => void;
  private dirs = new Set<string>();
  private lastPlan?: ServerPlan;

  constructor(private readonly driver: ServerDriver, private readonly port: number) {
    this.name = driver.name;
    this.capabilities = driver.capabilities;
  }

  private requireInstalled(): void {
    if (!hasBinary(this.driver.binary)) {
      throw new LabUnavailable(`${this.driver.name}: '${this.driver.binary}' not installed: apt-get install ${this.driver.pkg}`);
    }
  }

  async start(): Promise<void> {
    this.requireInstalled();
    if (!this.lease) this.lease = await acquireDnsLab();
  }

  async describe(): Promise<Dns64TargetDescription> {
    this.requireInstalled();
    const out = await runTool(this.driver.versionArgv[0], this.driver.versionArgv.slice(1)).catch((e: Error) => e.message);
    const version = versionLine(out);
    const plan = this.lastPlan ?? this.driver.plan({ ...settingsFor({}, this.port, labTrustAnchor(), this.driver.queryFrom), dir: `${os.tmpdir()}/nat64lab-${this.name}-XXXXXX` });
    const [main] = Object.keys(plan.files);
    return { name: this.name, version, config: { mode: plan.mode, listen: `${DNS.resolverAddress}#${this.port}`, file: main, text: plan.files[main] } };
  }

  async open(needs: Dns64Needs): Promise<Dns64Session> {
    this.requireInstalled();
    checkCommon(this.capabilities, this.name, needs);
    this.driver.check(needs);
    if (!this.lease) this.lease = await acquireDnsLab();
    const lab = this.lease.lab;
    const base = settingsFor(needs, this.port, lab.trustAnchor(), this.driver.queryFrom);
    const key = JSON.stringify(base);
    if (this.running && this.running.key === key && this.running.child.exitCode === null && this.running.child.signalCode === null) {
      // Same configuration: an empty cache is enough, and faster than a restart.
      if (this.driver.flush) await this.driver.flush(this.running);
      else await this.restart(lab, base, key);
    } else await this.restart(lab, base, key);
    const run = this.running!;
    return lab.session(run.config, { address: DNS.resolverAddress, port: this.port }, { upstreamFrom: this.driver.queryFrom });
  }

  /**
   * Starts the server with the needs on a side port and stops it again: a
   * server that exits at start has refused the configuration, in its own
   * words. Lengths outside RFC 6052 are tried (that is the point); an RFC 6052
   * length or setting the server lacks is na, as for open().
   */
  async validate(needs: Dns64Needs): Promise<Dns64EffectiveConfig> {
    this.requireInstalled();
    const lengthOf = (p: Dns64Prefix): number => Number(p.prefix.split('/')[1]);
    const odd = (needs.prefixes ?? []).filter((p) => !(PREF64_LENGTHS as readonly number[]).includes(lengthOf(p)));
    if (odd.length && this.driver.prefixAsAddress) {
      throw new NotApplicable(`${this.name} writes its prefix as an address of fixed length /96; ${odd.map((p) => p.prefix).join(', ')} cannot be put in its configuration`);
    }
    checkCommon(this.capabilities, this.name, { ...needs, prefixes: (needs.prefixes ?? []).filter((p) => !odd.includes(p)) });
    this.driver.check(needs);
    if (!this.lease) this.lease = await acquireDnsLab();
    const lab = this.lease.lab;
    const base = settingsFor(needs, this.port + TRIAL_PORT_OFFSET, lab.trustAnchor(), this.driver.queryFrom);
    const trial = this.spawn(lab, base, false);
    try {
      await this.waitReady(lab, trial.child, trial.stderr, probeSource(base.acl), base.port);
      return trial.config;
    } catch (err) {
      if (err instanceof ExitedAtStart) throw new ConfigRefused(err.message);
      throw err;
    } finally {
      await stopChild(trial.child);
      fs.rmSync(trial.dir, { recursive: true, force: true });
      this.dirs.delete(trial.dir);
    }
  }

  private async restart(lab: DnsLab, base: Omit<LabSettings, 'dir'>, key: string): Promise<void> {
    await this.stopServer();
    const { dir, child, config, stderr } = this.spawn(lab, base, true);
    this.running = { lab, dir, child, key, config, stderr };
    await this.waitReady(lab, child, stderr, probeSource(base.acl), this.port);
  }

  /** Writes the configuration into a fresh directory and starts the server in the lab namespace. */
  private spawn(lab: DnsLab, base: Omit<LabSettings, 'dir'>, remember: boolean): { dir: string; child: ChildProcess; config: Dns64EffectiveConfig; stderr: { text: string } } {
    // On the exit path only synchronous work completes: remove the config directories (the namespace takes the processes).
    this.unregister ??= onTeardown(() => {
      for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nat64lab-${this.name}-`));
    this.dirs.add(dir);
    const settings: LabSettings = { ...base, dir };
    const plan = this.driver.plan(settings);
    if (remember) this.lastPlan = plan;
    for (const [file, text] of Object.entries(plan.files)) fs.writeFileSync(path.join(dir, file), text);
    const [main] = Object.keys(plan.files);
    const stderr = { text: '' };
    const child = lab.ns.spawn(plan.argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    const keep = (d: Buffer): void => {
      stderr.text = (stderr.text + d.toString()).slice(-16384);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const config: Dns64EffectiveConfig = {
      prefixes: settings.prefixes,
      exclude: settings.exclude,
      validate: settings.validate,
      listen: `${DNS.resolverAddress}#${settings.port}`,
      upstream: `${DNS.authorityAddress}#${DNS.authorityPort} (${plan.mode === 'root' ? 'fake root: root hints point at the authority' : 'every query forwarded to the authority'})`,
      generated: `# ${main}\n${plan.files[main]}`,
    };
    return { dir, child, config, stderr };
  }

  /** Polls a real query until it is answered; a server that exits meanwhile is a one-line error from its own output. */
  private async waitReady(lab: DnsLab, child: ChildProcess, stderr: { text: string }, client: string | undefined, port: number): Promise<void> {
    const deadline = Date.now() + READY_MS;
    const server = { address: DNS.resolverAddress, port };
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ExitedAtStart(`${this.name} exited at start (${child.signalCode ?? `status ${child.exitCode}`}): ${tail(stderr.text) || 'no output'}`);
      }
      const reply = await lab.query(server, readinessQuery(), { transport: 'udp', timeoutMs: 250, client: client ?? DNS.resolverAddress });
      // With no loopback client allowed by the case's ACL, a refusal is the only answer there can be.
      if (client ? answered(reply.bytes) : reply.bytes !== undefined) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.name} did not answer A ns.${DNS.zone} within ${READY_MS / 1000} s on ${server.address}#${server.port}${stderr.text ? `: ${tail(stderr.text)}` : ''}`);
      }
      // Refused or not yet listening: back off a little so the poll does not spin.
      if (reply.bytes === undefined) continue;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async stopServer(): Promise<void> {
    const run = this.running;
    this.running = undefined;
    if (!run) return;
    await stopChild(run.child);
    fs.rmSync(run.dir, { recursive: true, force: true });
    this.dirs.delete(run.dir);
  }

  async shutdown(): Promise<void> {
    await this.stopServer();
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release();
    this.unregister?.();
    this.unregister = undefined;
  }
}

/** SIGTERM, then SIGKILL after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

function versionLine(out: string): string {
  const line = out.split('\n').map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l)) ?? out.trim();
  // pdns prefixes its log lines with a date; the version is what follows.
  return line.replace(/^[A-Z][a-z]{2} \d+ \d\d:\d\d:\d\d /, '');
}
