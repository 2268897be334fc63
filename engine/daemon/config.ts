/**
 * The engine daemon's configuration file: the engine's own JSON object
 * (engine/config.ts) plus `tun`, the TUN device the daemon translates on,
 * and an optional `dns64` section: the own DNS64, served in the same process
 * (same keys as `nat64lab dns64 --config`). Every error is one line that
 * starts with the file name and names the field and the fix.
 */
import { readFileSync } from 'fs';
import type { EngineConfig } from '../api';
import { ConfigError, parseEngineConfig } from '../config';
import type { Dns64Config } from '../dns64/api';
import { parseDns64Config } from '../dns64/config';
import { IO_MODES, IoMode } from './tun-ports';

export interface DaemonConfig {
  /** The TUN device opened (created when absent) in the daemon's namespace. */
  tun: string;
  /** How packets cross the TUN: io_uring batches, or one read/write call each; auto picks io_uring when the kernel allows. */
  io: IoMode;
  /**
   * After the last packet, keep looking at the TUN this long before sleeping
   * in poll(2) (0: sleep at once). Spares the packets of a trickle the
   * wake-up of an idle CPU, for that much CPU time after every packet.
   */
  busyPollUs: number;
  engine: EngineConfig;
  /** The DNS64 the daemon serves besides translating; absent = none. */
  dns64?: Dns64Config;
}

/** Keys of the file that are the daemon's own; everything else belongs to the engine. */
const DAEMON_KEYS = ['tun', 'io', 'busyPollUs', 'dns64'] as const;

/** Longest busy-poll window accepted: beyond it the daemon would rather be spinning than sleeping. */
const MAX_BUSY_POLL_US = 10_000;

/** The kernel's rule for interface names (IFNAMSIZ 16, no '/', ':' or whitespace). */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates an already-parsed object; `file` prefixes every message. */
export function parseDaemonConfig(raw: unknown, file: string): DaemonConfig {
  const where = `${file}: config`;
  if (!isObject(raw)) throw new ConfigError(`${where}: ${JSON.stringify(raw)} is not an object; write { "tun": "nat64", "pool6": "64:ff9b::/96", ... }`);
  const { tun, io = 'auto', busyPollUs = 0, dns64, ...engineRaw } = raw;
  if (tun === undefined) throw new ConfigError(`${where}.tun: missing; add "tun": "nat64" (the TUN device the daemon translates on)`);
  if (typeof tun !== 'string' || !IFNAME.test(tun)) {
    throw new ConfigError(`${where}.tun: ${JSON.stringify(tun)} is not an interface name; use 1-15 letters, digits, '_', '.' or '-', e.g. "nat64"`);
  }
  if (!IO_MODES.includes(io as IoMode)) throw new ConfigError(`${where}.io: ${JSON.stringify(io)} is not an I/O mode; use one of ${IO_MODES.map((m) => `"${m}"`).join(', ')}`);
  if (!(typeof busyPollUs === 'number' && Number.isInteger(busyPollUs) && busyPollUs >= 0 && busyPollUs <= MAX_BUSY_POLL_US)) {
    throw new ConfigError(`${where}.busyPollUs: ${JSON.stringify(busyPollUs)} is not a number of microseconds; use an integer from 0 (sleep at once) to ${MAX_BUSY_POLL_US}`);
  }
  if (dns64 !== undefined && !isObject(dns64)) throw new ConfigError(`${where}.dns64: ${JSON.stringify(dns64)} is not an object; write { ... } or leave the section out`);
  let engine: EngineConfig;
  try {
    engine = parseEngineConfig(engineRaw, where);
  } catch (err) {
    // The engine lists only its own keys; a misspelt top-level key should list the daemon's too.
    if (err instanceof ConfigError && err.message.startsWith(`${where}.`) && /^[^.]+\.[^.:]+: unknown setting; known: /.test(err.message.slice(file.length + 2))) {
      throw new ConfigError(`${err.message}, ${DAEMON_KEYS.join(', ')}`);
    }
    throw err;
  }
  return { tun, io: io as IoMode, busyPollUs, engine, ...(dns64 ? { dns64: dns64Section(dns64, where) } : {}) };
}

/**
 * The DNS64 parser names fields "SOURCE: field"; inside the daemon's file
 * they are "config.dns64.field", like every other key of the file.
 */
function dns64Section(raw: Record<string, unknown>, where: string): Dns64Config {
  const source = `${where}.dns64`;
  try {
    return parseDns64Config(raw, source);
  } catch (err) {
    if (err instanceof ConfigError && err.message.startsWith(`${source}: `)) {
      const rest = err.message.slice(source.length + 2);
      // "prefixes[0].prefix: ..." joins with a dot; a message about the section itself stays as it is.
      if (/^[A-Za-z][\w.[\]]*[: ]/.test(rest)) throw new ConfigError(`${source}.${rest}`);
    }
    throw err;
  }
}

/** Reads and validates FILE; a missing file or bad JSON is a ConfigError too. */
export function readDaemonConfig(file: string): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${file}: cannot read it (${code}); give the path of a JSON configuration file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message.split('\n')[0]}); fix the syntax`);
  }
  return parseDaemonConfig(raw, file);
}
