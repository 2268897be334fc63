/** A scripted target for testing the runner itself: it answers each packet with whatever `respond` returns. */
import type { Captured, EffectiveConfig, LabSession, Target, TargetNeeds } from '../../harness/lab/target';
import { NotApplicable } from '../../harness/lab/target';
import type { Side } from '../../harness/packet/types';

export const FAKE_CONFIG: EffectiveConfig = {
  pool6: '2001:db8:64::/96',
  pool4: [{ address: '198.18.0.1' }],
  filtering: 'endpoint-independent',
  staticBib: [],
  timeouts: { udp: 300, tcpEstablished: 7200, tcpTransitory: 240, tcpInit: 240, tcpIncomingSyn: 6, icmp: 60, fragment: 2 },
};

export class FakeTarget implements Target {
  readonly name = 'fake';
  readonly capabilities = {
    pool6Lengths: [96],
    wellKnownPrefix: false,
    pool4: false,
    filtering: ['endpoint-independent' as const],
    staticBib: false,
    timeouts: false,
    virtualClock: false,
    readState: false,
  };
  closed = 0;

  constructor(private readonly respond: (side: Side, bytes: Buffer) => { side: Side; bytes: Buffer }[] = () => []) {}

  async describe() {
    return { name: 'fake', version: '0', config: {} };
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    if (needs.filtering === 'address-dependent') throw new NotApplicable('the fake target has endpoint-independent filtering only');
    const queue: Captured[] = [];
    let t = 1_000_000;
    return {
      config: FAKE_CONFIG,
      send: async (side, bytes) => {
        for (const o of this.respond(side, bytes)) queue.push({ ...o, timeUs: ++t });
      },
      collect: async () => queue.splice(0),
      nowUs: () => ++t,
      close: async () => {
        this.closed++;
      },
    };
  }

  async shutdown() {}
}
