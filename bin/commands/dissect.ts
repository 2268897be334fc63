/**
 * `nat64lab dissect <capture.pcap | hex>`: print packets layer by layer.
 *
 *   nat64lab dissect fixtures/pcap/demo.pcap          every frame, tshark -V style
 *   nat64lab dissect --summary fixtures/pcap/demo.pcap one line per frame
 *   nat64lab dissect '60 00 00 00 00 08 11 40 ...'    one IP packet given as hex
 *   --prefix 2001:db8:64::/96                          also show IPv4 addresses embedded under this prefix
 *   --payload-limit N                                  hex-dump at most N payload bytes (default 256)
 *
 * Exit codes: 0 done (malformed packets are still dissected: they are
 * evidence), 2 bad input (one line on stderr naming the argument and the
 * fix), 1 an unexpected internal failure (one line as well).
 */
import { promises as fsp } from 'fs';
import { parsePrefix, Prefix } from '../../harness/packet/address';
import { DissectOptions, dissect, summary } from '../../harness/packet/dissect';
import { PcapError, linkTypeName, readPcap, stripLinkLayer } from '../../harness/packet/pcap';

const USAGE =
  'usage: nat64lab dissect [--summary] [--payload-limit N] [--prefix NAT64/96] <capture.pcap | hex bytes of one IP packet>';

class UsageError extends Error {}

function safePrefix(text: string): Prefix | undefined {
  try {
    const p = parsePrefix(text);
    return p.family === 6 ? p : undefined;
  } catch {
    return undefined;
  }
}

let stdoutClosed = false;
let epipeHandler = false;

function out(text: string): void {
  if (stdoutClosed) return;
  if (!epipeHandler) {
    // `nat64lab dissect x.pcap | head`: the reader going away is not an error worth a stack trace.
    epipeHandler = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') stdoutClosed = true;
      else throw e;
    });
  }
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function err(text: string): void {
  process.stderr.write(`nat64lab dissect: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** Bytes from hex text with optional spaces, colons, dashes, newlines and 0x prefixes; throws UsageError naming the problem. */
export function parseHex(text: string): Buffer {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const cleaned = text.replace(/0x/gi, '').replace(/[\s:.-]/g, '');
  if (cleaned.length === 0) throw new UsageError(`'${shown}' holds no hex digits; give the bytes of one IP packet, e.g. '45 00 00 1c …'`);
  const bad = /[^0-9a-fA-F]/.exec(cleaned);
  if (bad) {
    throw new UsageError(
      `'${shown}' is neither an existing file nor hex bytes (bad character '${bad[0]}'); give a pcap path or hex like '60 00 00 00 …'`,
    );
  }
  if (cleaned.length % 2) {
    throw new UsageError(
      `'${shown}' is not an existing file, and as hex bytes it has an odd number of digits (${cleaned.length}); give a pcap path or two hex digits per byte`,
    );
  }
  return Buffer.from(cleaned, 'hex');
}

function formatTime(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  if (Number.isNaN(d.getTime())) return `${us} µs`;
  const micro = String(Math.floor(us % 1e6)).padStart(6, '0');
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${micro} UTC`;
}

interface Args {
  summary: boolean;
  payloadLimit?: number;
  /** NAT64 prefixes whose embedded IPv4 addresses are shown (64:ff9b::/96 always). */
  prefixes: string[];
  positional: string[];
}

function dissectOptions(a: Args): DissectOptions {
  return { payloadLimit: a.payloadLimit, nat64Prefixes: ['64:ff9b::/96', ...a.prefixes] };
}

function parseArgs(args: string[]): Args {
  const a: Args = { summary: false, prefixes: [], positional: [] };
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (x === '--summary' || x === '-s') a.summary = true;
    else if (x === '--payload-limit' || x.startsWith('--payload-limit=')) {
      const v = x.includes('=') ? x.slice(x.indexOf('=') + 1) : args[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`--payload-limit needs a number of bytes, got '${v ?? ''}'`);
      a.payloadLimit = Number(v);
    } else if (x === '--prefix' || x.startsWith('--prefix=')) {
      const v = x.includes('=') ? x.slice(x.indexOf('=') + 1) : args[++i];
      const pr = v === undefined ? undefined : safePrefix(v);
      if (!pr) throw new UsageError(`--prefix needs a NAT64 IPv6 prefix such as 2001:db8:64::/96, got '${v ?? ''}'`);
      if (![32, 40, 48, 56, 64, 96].includes(pr.length)) {
        throw new UsageError(`--prefix ${v}: RFC 6052 prefixes are /32, /40, /48, /56, /64 or /96`);
      }
      a.prefixes.push(v!);
    } else if (x === '--') a.positional.push(...args.slice(i + 1)), (i = args.length);
    else if (x === '-h' || x === '--help') throw new UsageError(USAGE);
    else if (x.startsWith('-')) {
      throw new UsageError(`unknown option '${x}' (${USAGE})`);
    } else a.positional.push(x);
  }
  return a;
}

async function fileKind(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const st = await fsp.stat(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

function looksLikePath(s: string): boolean {
  return /[/\\]/.test(s) || /\.(pcap|pcapng|cap|dmp)$/i.test(s) || s.startsWith('.') || s.startsWith('~');
}

async function dissectFile(path: string, a: Args): Promise<number> {
  let cap;
  try {
    cap = await readPcap(path);
  } catch (e) {
    if (e instanceof PcapError) throw new UsageError(e.message);
    const code = (e as NodeJS.ErrnoException)?.code;
    throw new UsageError(`cannot read '${path}' (${code ?? (e as Error)?.message}); check the path and permissions`);
  }
  for (const w of cap.warnings) err(`warning: '${path}': ${w}`);
  if (cap.records.length === 0) {
    out(`(no packets in '${path}')`);
    return 0;
  }
  const t0 = cap.records[0].timestampUs;
  const width = String(cap.records.length).length;
  cap.records.forEach((r, i) => {
    const link = stripLinkLayer(r.data, cap.linkType);
    const n = i + 1;
    if (a.summary) {
      const rel = ((r.timestampUs - t0) / 1e6).toFixed(6);
      const what = link.ip ? summary(link.ip) : `[${link.problem}]`;
      out(`${String(n).padStart(width)} ${rel.padStart(11)} ${what}`);
      return;
    }
    const lens = r.originalLength > r.data.length ? `${r.data.length} bytes captured of ${r.originalLength} on the wire` : `${r.data.length} bytes`;
    const lines = [`Frame ${n}: ${lens}, ${formatTime(r.timestampUs)} (+${((r.timestampUs - t0) / 1e6).toFixed(6)} s), ${linkTypeName(cap.linkType)}`];
    if (link.description) lines.push(link.description);
    if (link.ip) lines.push(dissect(link.ip, dissectOptions(a)));
    else lines.push(`[Not dissected: ${link.problem}]`);
    out(lines.join('\n'));
    if (i + 1 < cap.records.length) out('');
  });
  return 0;
}

/** Entry point of `nat64lab dissect`; returns the exit code. */
export async function dissectCommand(args: string[]): Promise<number> {
  try {
    const a = parseArgs(args);
    if (a.positional.length === 0) {
      throw new UsageError(
        `missing argument: give a capture file or the hex bytes of one IP packet (${USAGE})`,
      );
    }
    if (a.positional.length === 1) {
      const arg = a.positional[0];
      const kind = await fileKind(arg);
      if (kind === 'file') return await dissectFile(arg, a);
      if (kind === 'dir') throw new UsageError(`'${arg}' is a directory; give a pcap file inside it`);
      if (looksLikePath(arg)) {
        throw new UsageError(`no such file: '${arg}'; check the path (or give the hex bytes of one IP packet)`);
      }
    } else if (a.positional.some((x) => looksLikePath(x) && !/^[0-9a-fA-F:]+$/.test(x))) {
      throw new UsageError(`one capture file at a time: got ${a.positional.length} arguments (${USAGE})`);
    }
    // Hex: several arguments are taken as one packet split by the shell.
    const bytes = parseHex(a.positional.join(' '));
    out(a.summary ? summary(bytes) : dissect(bytes, dissectOptions(a)));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return 2;
    }
    err(`internal error: ${(e as Error)?.message ?? String(e)}`);
    return 1;
  }
}
