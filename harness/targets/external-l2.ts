/**
 * The l2 lab of an external device: one packet socket and one L2Port per
 * side, and a LabSession over them. A device's output cannot be counted the
 * way the engine daemon's `sync` counts it, so a collection reads until the
 * device has been quiet for `quietMs` (or `maxMs` has passed); the quiet
 * period is the target file's `collect` setting, a case's own wins.
 * Routed mode (harness/targets/external-routed.ts) extends this lab: it
 * only sends differently.
 */
import { watchReadable } from '../io/libc';
import type { ReadableWatch } from '../io/libc';
import { openPacketSocket } from '../io/packet-socket';
import type { PacketSocket } from '../io/packet-socket';
import { L2Port } from '../lab/l2-port';
import { collectUntilQuiet } from '../lab/quiet-collect';
import type { FramePort } from '../lab/l2-port';
import type { Captured, EffectiveConfig, LabSession } from '../lab/target';
import type { Side } from '../packet/types';
import type { ExternalSpec, SideSpec } from './external-config';

const MAX_FRAME = 65536 + 18;
/** Frames read per side per pass, so a flooding device cannot hold the event loop. */
const READ_BATCH = 512;
/** How often a solicitation is repeated while the device's MAC is unknown. */
const SOLICIT_EVERY_MS = 250;

function realNowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function ipv4InPool(pool: { address: string }[]): (a: string) => boolean {
  const toNum = (s: string) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const ranges = pool.map((e) => {
    const [addr, len] = e.address.split('/');
    const bits = len === undefined ? 32 : Number(len);
    const base = toNum(addr) - (toNum(addr) % 2 ** (32 - bits));
    return [base, base + 2 ** (32 - bits) - 1];
  });
  return (a) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(a)) return false;
    const n = toNum(a);
    return ranges.some(([lo, hi]) => n >= lo && n <= hi);
  };
}

/** Opens the packet socket of each side; one-line errors name the side and interface. */
export function openSides(spec: ExternalSpec): Record<Side, PacketSocket> {
  const open = (s: SideSpec, side: string) => {
    try {
      return openPacketSocket(s.interface, { netns: spec.netns });
    } catch (err) {
      throw new Error(`${spec.file}: ${side}.interface: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  const s6 = open(spec.ipv6, 'ipv6');
  try {
    return { 6: s6, 4: open(spec.ipv4, 'ipv4') } as Record<Side, PacketSocket>;
  } catch (err) {
    s6.close();
    throw err;
  }
}

/**
 * The L2Port of each side over `frames`, which sends what the port answers:
 * the sockets in l2 mode; in routed mode a sink, since the host's kernel
 * owns ARP/NDP there and the port only unframes what the device emits.
 */
export function portsOf(spec: ExternalSpec, frames: Record<Side, FramePort>): Record<Side, L2Port> {
  const inPool = ipv4InPool(spec.pool4);
  return {
    6: new L2Port(frames[6], { family: 6, deviceMac: spec.ipv6.deviceMac, deviceAddress: spec.ipv6.deviceAddress }),
    4: new L2Port(frames[4], { family: 4, deviceMac: spec.ipv4.deviceMac, deviceAddress: spec.ipv4.deviceAddress, deviceOwns: inPool }),
  } as Record<Side, L2Port>;
}

export class ExternalL2Lab {
  private readonly buf = Buffer.alloc(MAX_FRAME);
  private watches: ReadableWatch[] = [];
  private readonly listeners = new Set<() => void>();
  private pending: Captured[] = [];
  private failure: string | undefined;
  /** Packets handed to a collection that came out before the latest send: the device answered later than the quiet period. */
  latePackets = 0;
  private closed = false;

  protected constructor(readonly spec: ExternalSpec, readonly socks: Record<Side, PacketSocket>, readonly ports: Record<Side, L2Port>) {
    this.startPump();
  }

  /** Opens both sides; one-line errors name the side and interface. */
  static open(spec: ExternalSpec): ExternalL2Lab {
    const socks = openSides(spec);
    return new ExternalL2Lab(spec, socks, portsOf(spec, socks));
  }

  /**
   * Learns the device's MAC on each side where the target file did not give
   * it: solicits repeatedly until the device answers or `ms` pass.
   */
  async resolve(ms: number): Promise<void> {
    const pending = ([6, 4] as Side[]).filter((s) => !this.ports[s].device);
    if (!pending.length) return;
    const deadline = Date.now() + ms;
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const unsubscribe = this.onReadable(() => {
        this.readQueued();
        if (pending.every((s) => this.ports[s].device)) finish();
      });
      const finish = (err?: Error) => {
        if (timer) clearTimeout(timer);
        unsubscribe();
        if (err) reject(err);
        else resolve();
      };
      const tick = () => {
        this.readQueued();
        const left = pending.filter((s) => !this.ports[s].device);
        if (!left.length) return finish();
        if (Date.now() >= deadline) {
          const s = left[0];
          const side = s === 6 ? this.spec.ipv6 : this.spec.ipv4;
          const name = s === 6 ? 'ipv6' : 'ipv4';
          return finish(new Error(`${this.spec.file}: ${name}: no ${s === 6 ? 'neighbour advertisement' : 'ARP reply'} from ${side.deviceAddress} on ${side.interface} within ${ms / 1000} s; check the wiring and ${name}.deviceAddress, or give ${name}.deviceMac`));
        }
        try {
          for (const p of left) this.ports[p].solicit();
        } catch (err) {
          return finish(err as Error);
        }
        timer = setTimeout(tick, Math.min(SOLICIT_EVERY_MS, Math.max(1, deadline - Date.now())));
      };
      tick();
    });
  }

  send(side: Side, bytes: Buffer): void {
    const sock = this.socks[side];
    try {
      this.ports[side].sendPacket(bytes);
    } catch (e) {
      throw new Error(`sending ${bytes.length} bytes on side ${side} (${sock.ifname}): ${(e as Error).message}`);
    }
  }

  /**
   * Reads what is queued on both sides into the pending queue: IP packets
   * the device emitted; ARP/NDP are answered on the way.
   */
  pump(): void {
    for (const side of [6, 4] as Side[]) {
      const sock = this.socks[side];
      for (let i = 0; i < READ_BATCH; i++) {
        const n = sock.read(this.buf);
        if (n < 0) break;
        const packet = this.ports[side].receive(this.buf.subarray(0, n));
        if (packet) this.pending.push({ side, bytes: packet, timeUs: realNowUs() });
      }
    }
  }

  /** Packets captured and not yet handed out. */
  get queued(): number {
    return this.pending.length;
  }

  /** The packets captured since the last call (reading whatever is queued now). */
  readQueued(): Captured[] {
    this.pump();
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Waits up to `ms` for a captured packet `want` accepts; the packets seen meanwhile are dropped. */
  waitFor(want: (c: Captured) => boolean, ms: number): Promise<Captured | undefined> {
    const deadline = Date.now() + ms;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe = () => {};
      const finish = (v?: Captured, err?: Error) => {
        if (timer) clearTimeout(timer);
        unsubscribe();
        if (err) reject(err);
        else resolve(v);
      };
      const check = (): boolean => {
        const hit = this.readQueued().find(want);
        if (hit) finish(hit);
        return !!hit;
      };
      try {
        if (check()) return;
        unsubscribe = this.onReadable(() => void check());
      } catch (err) {
        return finish(undefined, err as Error);
      }
      timer = setTimeout(() => finish(this.readQueued().find(want)), Math.max(0, deadline - Date.now()));
    });
  }

  /** Discards what was captured: what a previous case left is not this case's evidence. */
  drain(): number {
    return this.readQueued().length;
  }

  /**
   * Starts the background reader: the device's ARP requests and neighbour
   * solicitations are answered at once, also between cases, so its
   * neighbour entries for the lab's hosts never fail and it never answers a
   * case's packet with an "address unreachable" of its own.
   */
  private startPump(): void {
    const fire = () => {
      try {
        this.pump();
      } catch (err) {
        this.failure ??= (err as Error).message.split('\n')[0];
      }
      for (const l of [...this.listeners]) l();
    };
    this.watches = [watchReadable(this.socks[6].fd, fire), watchReadable(this.socks[4].fd, fire)];
  }

  /** Calls `cb` after every read pass while subscribed; returns the unsubscribe function. */
  onReadable(cb: () => void): () => void {
    if (this.closed) throw new Error('the external lab is closed');
    if (this.failure) throw new Error(`capture failed: ${this.failure}`);
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  session(config: EffectiveConfig, extras: Partial<Pick<LabSession, 'state'>> = {}): LabSession {
    return new ExternalSession(this, config, extras);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    for (const w of this.watches) w.close();
    this.watches = [];
    this.socks[6].close();
    this.socks[4].close();
  }
}

class ExternalSession implements LabSession {
  readonly state?: LabSession['state'];
  private closed = false;
  /** When the latest packet was sent (µs). */
  private lastSendUs = 0;

  constructor(private readonly lab: ExternalL2Lab, readonly config: EffectiveConfig, extras: Partial<Pick<LabSession, 'state'>>) {
    // Only hooks the target offers exist: cases test for their presence.
    if (extras.state) this.state = extras.state;
  }

  async send(side: Side, bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error('send on a closed session (a later case has opened the device)');
    // What is still queued came out before this send: read it now, so its capture time says so.
    this.lab.pump();
    this.lastSendUs = realNowUs();
    this.lab.send(side, bytes);
  }

  nowUs(): number {
    return realNowUs();
  }

  collect(opts: { quietMs?: number; maxMs?: number } = {}): Promise<Captured[]> {
    if (this.closed) return Promise.reject(new Error('collect on a closed session (a later case has opened the device)'));
    const lab = this.lab;
    const read = (): Captured[] => {
      // A packet stamped before the latest send came out after the previous collection had ended (the
      // device was slower than the quiet period). It stays evidence, with its capture time, and is counted:
      // dropping it would hide what the device did, and only its time can say which send it answers.
      const more = lab.readQueued();
      lab.latePackets += more.filter((c) => c.timeUs < this.lastSendUs).length;
      return more;
    };
    return collectUntilQuiet({ read, onReadable: (cb) => lab.onReadable(cb) }, opts.quietMs ?? lab.spec.collect.quietMs, opts.maxMs ?? lab.spec.collect.maxMs);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
