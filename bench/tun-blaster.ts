/**
 * The TUN benchmark's packet source, run as its own process so it can be
 * pinned to one CPU (taskset) apart from the device under test. It writes
 * the pre-encoded packets it is given, round-robin, into the TUN fd it
 * inherits as fd 3, for a fixed time, then prints one JSON line:
 * { "sent": N, "seconds": S }.
 *
 * Input (argv[2]): JSON { "packets": [hex, ...], "ms": duration }.
 */
import * as libc from '../harness/io/libc';

const TUN_FD = 3;
/** Packets between clock reads: reading the clock per packet would cost more than the write's bookkeeping. */
const CHECK_EVERY = 256;

function main(): number {
  const spec = JSON.parse(process.argv[2] ?? '{}') as { packets?: string[]; ms?: number };
  if (!Array.isArray(spec.packets) || spec.packets.length === 0 || !(typeof spec.ms === 'number' && spec.ms > 0)) {
    process.stderr.write('tun-blaster: argv[2] must be JSON { "packets": [hex, ...], "ms": > 0 }\n');
    return 2;
  }
  const packets = spec.packets.map((h) => Buffer.from(h, 'hex'));
  // Spawning may have left the shared file description blocking; the harness reads it non-blocking afterwards.
  libc.setNonBlocking(TUN_FD);
  const ns = BigInt(Math.round(spec.ms * 1e6));
  const start = process.hrtime.bigint();
  let sent = 0;
  let now = start;
  const n = packets.length;
  for (;;) {
    for (let i = 0; i < CHECK_EVERY; i++) libc.write(TUN_FD, packets[(sent + i) % n]);
    sent += CHECK_EVERY;
    now = process.hrtime.bigint();
    if (now - start >= ns) break;
  }
  process.stdout.write(`${JSON.stringify({ sent, seconds: Number(now - start) / 1e9 })}\n`);
  return 0;
}

process.exitCode = main();
