/** Shared setup for the daemon tests: root gating, unique lab names, the CLI path, waiting on a TUN. */
import type { ChildProcess } from 'child_process';
import * as path from 'path';
import type { Tun } from '../../harness/io/tun';
import { decode } from '../../harness/packet/codec';
import type { Packet } from '../../harness/packet/types';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'bin', 'nat64lab.js');

/** Skips the test unless root; in CI (env CI set) a missing root is a failure, not a skip. */
export function needRoot(ctx: Mocha.Context): void {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return;
  if (process.env.CI) throw new Error('the daemon lab tests need root in CI (they create network namespaces and TUN devices)');
  ctx.skip();
}

const run = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');
let counter = 0;

/** 'nlb' + 3 characters for this process + a counter: a lab prefix of at most 8 characters. */
export function labPrefix(): string {
  return `nlb${run}${(counter++).toString(36)}`;
}

/** Reads `tun` until a packet matches `want` or `ms` pass; the packets that did not match are returned too. */
export function readUntil(tun: Tun, want: (p: Packet) => boolean, ms = 2000): { match?: Packet; other: Packet[] } {
  const buf = Buffer.alloc(65536);
  const other: Packet[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const n = tun.read(buf);
    if (n >= 0) {
      const p = decode(Buffer.from(buf.subarray(0, n)));
      if (want(p)) return { match: p, other };
      other.push(p);
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0 || !tun.waitReadable(left)) return { other };
  }
}

/** Resolves with the first stdout line the daemon prints; rejects with its stderr when it exits first. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before it was up: ${err.trim()}`)));
  });
}
