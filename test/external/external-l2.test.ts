/**
 * The external target in l2 mode against the own engine daemon dressed as
 * an appliance behind veth pairs (test/external/appliance.ts): the device's
 * MACs are learned by ARP/NDP, a UDP flow goes through and back, the
 * device's own neighbour lookups are answered, na reasons name what the
 * device was declared with, and nothing is left behind.
 */
import { expect } from 'chai';
import { LAB } from '../../harness/lab/addressing';
import { NotApplicable } from '../../harness/lab/target';
import { decode, encode } from '../../harness/packet/codec';
import { embed } from '../../harness/packet/rfc6052';
import type { EffectiveConfig } from '../../harness/lab/target';
import { ExternalTarget } from '../../harness/targets/external';
import { readExternalSpec } from '../../harness/targets/external-config';
import { ExternalL2Lab } from '../../harness/targets/external-l2';
import { needRoot } from '../lab/lab-helpers';
import { buildAppliance, nlkPrefix } from './appliance';
import type { Appliance } from './appliance';

describe('external: l2 target against the engine daemon behind veths', function () {
  this.timeout(60_000);
  let app: Appliance | undefined;
  let target: ExternalTarget | undefined;

  before(async function () {
    needRoot(this);
    app = await buildAppliance(nlkPrefix());
    target = ExternalTarget.fromFile(app.targetFile);
  });
  after(async () => {
    await target?.shutdown();
    await app?.close();
  });

  it('translates a UDP flow out and back through the device', async () => {
    const s = await target!.open({});
    const server = LAB.server4[0];
    await s.send(6, encode({ ipv6: { src: LAB.client6[0], dst: embed(LAB.pool6, server), hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: Buffer.from('out') }));
    const out = await s.collect();
    expect(out.map((c) => c.side)).to.deep.equal([4]);
    const p = decode(out[0].bytes);
    expect(p.ipv4).to.include({ dst: server, ttl: 63 });
    expect(LAB.pool4).to.include(p.ipv4!.src);
    await s.send(4, encode({ ipv4: { src: server, dst: p.ipv4!.src, ttl: 64 }, udp: { sport: 7, dport: p.udp!.sport }, payload: Buffer.from('back') }));
    const back = await s.collect();
    expect(back.map((c) => c.side)).to.deep.equal([6]);
    const q = decode(back[0].bytes);
    expect(q.ipv6).to.include({ src: embed(LAB.pool6, server), dst: LAB.client6[0], hopLimit: 63 });
    expect(q.udp).to.include({ sport: 7, dport: 40000 });
    await s.close();
  });

  it('keeps a packet that came out before the latest send as evidence, stamped before it, and counts it late', async () => {
    const spec = readExternalSpec(app!.targetFile);
    const lab = ExternalL2Lab.open(spec);
    try {
      await lab.resolve(5000);
      const s = lab.session((await target!.validate({})) as EffectiveConfig);
      const flow = (sport: number) => encode({ ipv6: { src: LAB.client6[1], dst: embed(LAB.pool6, LAB.server4[1]), hopLimit: 64 }, udp: { sport, dport: 7 }, payload: Buffer.from(`flow ${sport}`) });
      await s.send(6, flow(41000));
      // The first flow's translation is captured in the background, with no collection running.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the first flow did not come out within 5 s')), 5000);
        const off = lab.onReadable(() => {
          if (lab.queued > 0) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
      const secondUs = s.nowUs();
      await s.send(6, flow(41001));
      const out = await s.collect();
      expect(out.map((c) => decode(c.bytes).payload?.toString())).to.deep.equal(['flow 41000', 'flow 41001']);
      expect(out[0].timeUs).to.be.lessThan(secondUs);
      expect(out[1].timeUs).to.be.at.least(secondUs);
      expect(lab.latePackets).to.equal(1);
      await s.close();
    } finally {
      lab.close();
    }
  });

  it('closes a session when the next one opens, so an abandoned case cannot keep sending', async () => {
    const first = await target!.open({});
    const second = await target!.open({});
    let err: unknown;
    await first.send(6, Buffer.alloc(40)).catch((e) => (err = e));
    expect((err as Error).message).to.equal('send on a closed session (a later case has opened the device)');
    await second.close();
  });

  it('makes a case that needs an undeclared knob na, naming the declaration', async () => {
    let err: unknown;
    await target!.open({ timeouts: { udp: 120 }, virtualClock: true }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(NotApplicable);
    expect((err as Error).message).to.equal(
      "needs a controllable clock; an external device's clock runs in real time; needs the udp timeout at 120 s; the device is declared with 300 s and no driver is configured to change it",
    );
  });

  it('shows the declaration in the description', async () => {
    const d = await target!.describe();
    expect(d.name).to.equal('external:engine daemon behind veths');
    expect(d.version).to.equal('as declared in the target file');
    expect(d.config.warmUp).to.equal('5 of 5 lab servers reached through the device before the first case');
    expect(d.config).to.deep.include({ mode: 'l2', pool6: LAB.pool6, pool4: [...LAB.pool4], filtering: 'endpoint-independent', driver: 'none: cases that need configuration are na' });
  });
});
