/**
 * Starting and stopping the TAYGA daemon inside the lab namespace, and the
 * readiness probe: TAYGA is ready when a real IPv6 packet written into the
 * harness's IPv6 TUN comes out of the IPv4 TUN translated. No sleeps: the
 * probe is re-sent on a short poll until it arrives or the deadline passes.
 */
import type { ChildProcess } from 'child_process';
import { writeFileSync } from 'fs';
import { encode } from '../packet/codec';
import { embed } from '../packet/rfc6052';
import type { Netns } from '../lab/netns';
import type { TunLab } from '../lab/tun-lab';

/** Source of the readiness probe: a client address no case uses. */
export const PROBE_CLIENT = '2001:db8:6::7e57';
/** Destination of the probe: a global address under the well-known prefix (TAYGA drops non-global ones there), else a lab server. */
const PROBE_SERVER = { wkp: '100.0.0.254', nsp: '198.18.100.254' };
const PROBE_PORT = 9; // discard
const PROBE_PAYLOAD = Buffer.from('nat64lab tayga readiness probe');

const READY_DEADLINE_MS = 5000;
/** How long one probe may take before it is sent again; the first write can be lost while TAYGA attaches to its TUN. */
const PROBE_RETRY_MS = 5;

export class TaygaDaemon {
  private child?: ChildProcess;
  private output = '';

  constructor(private readonly ns: Netns, private readonly confPath: string) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes the configuration and starts `tayga -d` (foreground, debug log kept for error messages). */
  start(conf: string): void {
    if (this.running) throw new Error('tayga: already running; stop it first');
    writeFileSync(this.confPath, conf);
    this.output = '';
    // Line-buffered: TAYGA's stdout to a pipe is block-buffered and would reach us only at exit.
    const child = this.ns.spawn(['stdbuf', '-oL', '-eL', 'tayga', '-c', this.confPath, '-d'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      // The last few lines are enough to say why TAYGA exited.
      this.output = (this.output + b.toString('utf8')).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  /** The last line TAYGA printed, for error messages. */
  lastWords(): string {
    const lines = this.output.split('\n').map((l) => l.trim()).filter((l) => l);
    return lines[lines.length - 1] ?? '(no output)';
  }

  /** SIGTERM and wait for the exit (TAYGA keeps a persistent TUN, so nothing else goes with it). */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => c.kill('SIGKILL'), 2000);
      c.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill('SIGTERM');
    });
  }

  /**
   * Sends UDP probes from PROBE_CLIENT to a server under `pool6` until one
   * comes out of tun4 translated; other packets read meanwhile are dropped
   * (the caller drains the lab before a case anyway). Returns the ms taken.
   */
  async waitReady(lab: TunLab, pool6: string, wellKnown: boolean): Promise<number> {
    const server = wellKnown ? PROBE_SERVER.wkp : PROBE_SERVER.nsp;
    const probe = encode({
      ipv6: { src: PROBE_CLIENT, dst: embed(pool6, server), hopLimit: 64 },
      udp: { sport: PROBE_PORT, dport: PROBE_PORT },
      payload: PROBE_PAYLOAD,
    });
    const started = Date.now();
    while (Date.now() - started < READY_DEADLINE_MS) {
      if (!this.running) throw new Error(`tayga exited during start-up: ${this.lastWords()}`);
      lab.tun6.write(probe);
      const sent = Date.now();
      while (Date.now() - sent < PROBE_RETRY_MS) {
        if (!lab.tun4.waitReadable(PROBE_RETRY_MS)) continue;
        for (const c of lab.readQueued()) if (c.side === 4 && isProbe(c.bytes, server)) return Date.now() - started;
      }
      // Let the child's exit and output events run between rounds.
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`tayga: no translated probe within ${READY_DEADLINE_MS} ms (last output: ${this.lastWords()})`);
  }
}

/** IPv4/UDP to `server`:9 carrying the probe payload. */
function isProbe(b: Buffer, server: string): boolean {
  if (b.length < 28 || b[0] >> 4 !== 4 || b[9] !== 17) return false;
  const dst = `${b[16]}.${b[17]}.${b[18]}.${b[19]}`;
  const ihl = (b[0] & 15) * 4;
  return dst === server && b.readUInt16BE(ihl + 2) === PROBE_PORT && b.subarray(ihl + 8).equals(PROBE_PAYLOAD);
}
