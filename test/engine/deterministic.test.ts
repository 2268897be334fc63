/**
 * RFC 7422 deterministic mode (engine/nat64/deterministic.ts) and the event
 * log (engine/nat64/events.ts): configuration, the block function and its
 * inverse, allocation inside the block, the dynamic pool and its log, the
 * §3 configuration record, mapping events without destinations (RFC 6888
 * REQ-12) and refusal notifications (REQ-11c).
 */
import { expect } from 'chai';
import { encode, decode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import { blockOf, layoutOf, reverseLookup } from '../../engine/nat64/deterministic';
import { Lab, makeLab } from './lab';

const P = LAB.pool6;
const [C6, C6b] = LAB.client6;
const [S4] = LAB.server4;
const DET = { inside: '2001:db8:6::/120', subscriberPrefix: 128, portsPerSubscriber: 64 };

const lab = (raw: Record<string, unknown> = {}, seed = 11): Lab => makeLab(raw, seed);

function udp(x: ReturnType<typeof lab>['x'], src: string, sport: number, dport = 9): { addr: string; port: number } | undefined {
  const out = x.push(6, encode({ ipv6: { src, dst: embed(P, S4), hopLimit: 64 }, udp: { sport, dport }, payload: Buffer.from('det') }));
  const p = out.filter((o) => o.side === 4).map((o) => decode(o.bytes))[0];
  return p?.ipv4 && p.udp ? { addr: p.ipv4.src, port: p.udp.sport } : undefined;
}

describe('engine: RFC 7422 deterministic mode', () => {
  it('validates the configuration with one-line errors', () => {
    const cfg = parseEngineConfig({ pool6: P, deterministic: DET });
    expect(cfg.deterministic).to.deep.equal({ ...DET, firstPort: 1024, dynamicBlocks: 0, maxPorts: 64 });
    for (const bad of [{ ...DET, firstPort: 100 }, { ...DET, inside: '10.0.0.0/24' }, { ...DET, subscriberPrefix: 64 }, { ...DET, portsPerSubscriber: 0 }, { ...DET, extra: 1 }, { ...DET, inside: '2001:db8:6::/96', portsPerSubscriber: 4096 }]) {
      expect(() => parseEngineConfig({ pool6: P, deterministic: bad }), JSON.stringify(bad)).to.throw(ConfigError).with.property('message').that.does.not.include('\n');
    }
  });

  it('maps subscribers to blocks and back (the §2 test function)', () => {
    const cfg = parseEngineConfig({ pool6: P, deterministic: { ...DET, subscriberPrefix: 124, portsPerSubscriber: 8000 } });
    const l = layoutOf(cfg.deterministic!, cfg.pool4);
    // 16 subscribers, 8 blocks of 8000 ports per address: subscriber 1 = 2001:db8:6::10/124 on 198.18.0.1:9024-17023.
    expect(blockOf(l, '2001:db8:6::1a')).to.deep.equal({ subscriber: '2001:db8:6::10/124', address: '198.18.0.1', min: 9024, max: 17023 });
    expect(reverseLookup(l, '198.18.0.1', 10000)?.subscriber).to.equal('2001:db8:6::10/124');
    expect(reverseLookup(l, '198.18.0.2', 1024)?.subscriber).to.equal('2001:db8:6::80/124');
    expect(reverseLookup(l, '198.18.0.1', 80)).to.equal(undefined);
    expect(blockOf(l, '2001:db8:7::1')).to.equal(undefined);
    expect(reverseLookup(l, '198.18.0.1', 10000, new Set(['det-test-function-wrong']))?.subscriber).to.equal('2001:db8:6::20/124');
  });

  it('takes ports at random inside the block, system ports never', () => {
    const { x } = lab({ deterministic: DET });
    const got = [udp(x, C6, 53), ...Array.from({ length: 10 }, (_, i) => udp(x, C6, 40000 + i))];
    for (const m of got) expect(m!.addr).to.equal('198.18.0.1') && expect(m!.port).to.be.within(2048, 2111);
    expect(new Set(got.map((m) => m!.port)).size).to.equal(got.length);
    expect(udp(x, C6b, 40000)!.port).to.be.within(2112, 2175);
    expect(x.deterministic!.reverse('198.18.0.1', got[3]!.port)?.subscriber).to.equal(`${C6}/128`);
  });

  it('gives a logged dynamic block past the subscriber block, refuses beyond M, refuses without D', () => {
    const { x } = lab({ deterministic: { ...DET, portsPerSubscriber: 4, dynamicBlocks: 1, maxPorts: 8 } });
    for (let i = 0; i < 8; i++) expect(udp(x, C6, 40000 + i), `mapping ${i}`).to.not.equal(undefined);
    expect(udp(x, C6, 40100)).to.equal(undefined);
    const dyn = x.events!().filter((e) => e.type === 'dynamic-block');
    expect(dyn).to.have.length(1);
    expect(dyn[0].fields).to.include({ subscriber: `${C6}/128`, outsideAddress: '198.18.0.1', portMin: 2048, portMax: 2051 });
    const none = lab({ deterministic: { ...DET, portsPerSubscriber: 4 } }).x;
    for (let i = 0; i < 4; i++) udp(none, C6, 40000 + i);
    expect(udp(none, C6, 40100)).to.equal(undefined);
  });

  it('logs the §3 configuration record at start and once a day', () => {
    const { x, clock } = lab({ deterministic: { ...DET, dynamicBlocks: 2, maxPorts: 128 } });
    const recs = () => x.events!().filter((e) => e.type === 'deterministic-config');
    expect(recs()).to.have.length(1);
    expect(recs()[0].fields).to.include({ insidePrefix: '2001:db8:6::', insideMask: 120, outsidePrefix: '198.18.0.0', outsideMask: 30, D: 2, M: 128, A: 0, R: '0-1023' });
    clock.advance(86_400_000);
    x.expire();
    expect(recs()).to.have.length(2);
  });
});

describe('engine: event log', () => {
  it('logs mapping creation and deletion without the destination (RFC 6888 REQ-12)', () => {
    const { x, clock } = lab();
    udp(x, C6, 40000, 7777);
    clock.advance(301_000);
    x.expire();
    const ev = x.events!();
    expect(ev.map((e) => e.type)).to.deep.equal(['mapping-created', 'mapping-deleted']);
    for (const e of ev) expect(JSON.stringify(e)).to.not.include(S4).and.not.include('7777');
    const leaky = lab({ faults: ['log-destination'] }).x;
    udp(leaky, C6, 40000, 7777);
    expect(JSON.stringify(leaky.events!())).to.include(S4);
  });

  it('notifies a refused mapping (RFC 6888 REQ-11c)', () => {
    const { x } = lab({ limits: { ports: { udp: 1 } } });
    udp(x, C6, 40000);
    expect(udp(x, C6, 40002)).to.equal(undefined);
    const refused = x.events!().filter((e) => e.type === 'mapping-refused');
    expect(refused).to.have.length(1);
    expect(refused[0].fields).to.include({ protocol: 'udp', insideAddress: C6, insidePort: 40002 });
  });
});
