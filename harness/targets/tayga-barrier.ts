/**
 * Completion barrier for collections on the `tayga` target. Everything the
 * harness writes reaches TAYGA through one TUN queue, in write order, and
 * TAYGA handles its queue one packet at a time; the kernel forwards TAYGA's
 * output inside TAYGA's write. So once an ICMPv6 Echo Request to TAYGA's own
 * address, written after a case's packets, has come back, everything those
 * packets caused has come out as well. That ends a collection exactly, on a
 * loaded host too, where a quiet period would cut off slow answers and hand
 * them to the next exchange.
 *
 * The marker creates no state: TAYGA answers it itself (no dynamic mapping)
 * and IPv6 is not connection-tracked in the lab namespace.
 */
import * as libc from '../io/libc';
import type { Captured } from '../lab/target';
import type { TunLab } from '../lab/tun-lab';
import { encode } from '../packet/codec';
import { TAYGA_IPV6 } from './tayga-config';
import { PROBE_CLIENT } from './tayga-daemon';

const MARKER_ID = 0x7e57;
const MARKER_PAYLOAD = Buffer.from('nat64lab tayga barrier');
/** Rounds of markers at most: each round covers one more pass of packets through TAYGA. */
const MAX_ROUNDS = 4;

export class Barrier {
  private seq = 0;
  /** When a packet `isHostError` accepts last came out (ms since the epoch; 0: never). */
  lastHostError = 0;

  constructor(
    private readonly lab: TunLab,
    private readonly isHostError: (b: Buffer) => boolean,
  ) {}

  /**
   * Writes markers and returns everything that came out before their echoes
   * (markers removed). Gives up after maxMs and returns what it has: a
   * target that stopped answering must not hang the run.
   */
  collect(maxMs: number): Captured[] {
    // What TAYGA's output sends back into TAYGA (a hairpinned packet, the host's Packet Too Big about a translated
    // packet) joins the queue behind the first marker: one more round for it, and more while rounds bring packets.
    const deadline = Date.now() + maxMs;
    const got: Captured[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const batch = this.round(deadline);
      got.push(...batch);
      if (round > 0 && batch.length === 0) break;
    }
    return got;
  }

  /** One marker: everything that came out before its echo, or what came until the deadline. */
  private round(deadline: number): Captured[] {
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    this.lab.tun6.write(encode({ ipv6: { src: PROBE_CLIENT, dst: TAYGA_IPV6, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: MARKER_ID, seq }, payload: MARKER_PAYLOAD }));
    const got: Captured[] = [];
    for (;;) {
      let done = false;
      // The whole batch: it is read IPv6 side first, so the IPv4 side's packets come after the marker in it.
      for (const c of this.lab.readQueued()) {
        const m = markerSeq(c.bytes);
        if (m === seq) done = true;
        else if (m === undefined) {
          got.push(c);
          if (this.isHostError(c.bytes)) this.lastHostError = Date.now();
        }
      }
      if (done) return got;
      const left = deadline - Date.now();
      if (left <= 0) return got;
      libc.pollReadable([this.lab.tun6.fd, this.lab.tun4.fd], Math.min(left, 50));
    }
  }
}

/** The sequence number of a marker's Echo Reply from TAYGA, or undefined for any other packet. */
function markerSeq(b: Buffer): number | undefined {
  if (b.length < 48 + MARKER_PAYLOAD.length || b[0] >> 4 !== 6 || b[6] !== 58 || b[40] !== 129) return undefined;
  if (b.readUInt16BE(44) !== MARKER_ID || !b.subarray(48).equals(MARKER_PAYLOAD)) return undefined;
  return b.readUInt16BE(46);
}
