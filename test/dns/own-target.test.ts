import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { createAuthority } from '../../harness/dns/authority';
import { DNS, NAMES } from '../../harness/dns/names';
import type { UpstreamQuery } from '../../harness/dns/types';
import { DNS64_TARGET_NAMES, makeDns64Target, UnknownDns64TargetError } from '../../harness/dns-targets';
import { inProcessUpstream, OwnDns64Target } from '../../harness/dns-targets/own';
import { VirtualTime } from '../../harness/dns-targets/virtual-time';
import { ConfigRefused } from '../../harness/lab/target';
import { canonical } from '../../harness/packet/address';
import { buildQuery } from '../../harness/runner/run-dns-case';
import { query, read } from './helpers';

const Z = (n: string) => `${n}.${DNS.zone}`;

describe('dns: virtual time', () => {
  it('fires timers in time order, ties in creation order, and skips cancelled ones', async () => {
    const vt = new VirtualTime(1000);
    const fired: string[] = [];
    vt.after(50, () => fired.push('b'));
    vt.after(10, () => fired.push('a'));
    vt.after(50, () => fired.push('c'));
    const cancel = vt.after(20, () => fired.push('never'));
    cancel();
    await vt.advance(49);
    expect(fired).to.deep.equal(['a']);
    expect(vt.now()).to.equal(1049);
    await vt.advance(1);
    expect(fired).to.deep.equal(['a', 'b', 'c']);
  });

  it('runUntil stops at the moment the awaited work completes, or at the limit', async () => {
    const vt = new VirtualTime(0);
    const sleep = (ms: number) => new Promise<void>((r) => vt.after(ms, r));
    let done = false;
    // Work that waits twice: the second timer only exists after the first fired and the promise chain ran.
    void (async () => {
      await sleep(300);
      await sleep(200);
      done = true;
    })();
    expect(await vt.runUntil(() => done, 10_000)).to.equal(true);
    expect(vt.now()).to.equal(500);
    let never = false;
    vt.after(5000, () => (never = true));
    expect(await vt.runUntil(() => never, 1000)).to.equal(false);
    expect(vt.now()).to.equal(1500);
  });

  it('the in-process upstream: immediate, delayed, dropped and timed-out answers on the virtual clock', async () => {
    const vt = new VirtualTime(0);
    const log: UpstreamQuery[] = [];
    const up = inProcessUpstream(createAuthority(), vt, log);
    const server = { address: DNS.authorityAddress, port: DNS.authorityPort };
    const at = async (p: Promise<Buffer | undefined>) => {
      let v: Buffer | undefined;
      let settled = false;
      void p.then((x) => {
        v = x;
        settled = true;
      });
      const start = vt.now();
      await vt.runUntil(() => settled, 60_000);
      return { v, after: vt.now() - start };
    };
    const now = await at(up.exchange(server, query(Z('a-only'), 'A'), { transport: 'udp', sourcePort: 4000, timeoutMs: 1000 }));
    expect(now.after).to.equal(0);
    expect(read(now.v!).answers).to.have.length(1);
    const slow = await at(up.exchange(server, query(Z('slow-aaaa'), 'AAAA'), { transport: 'udp', sourcePort: 4001, timeoutMs: 5000 }));
    expect(slow.after).to.equal(NAMES.slowAaaa.delayMs);
    expect(slow.v).to.not.equal(undefined);
    const late = await at(up.exchange(server, query(Z('slow-aaaa'), 'AAAA'), { transport: 'udp', sourcePort: 4002, timeoutMs: 1000 }));
    expect(late).to.deep.equal({ v: undefined, after: 1000 });
    const dropped = await at(up.exchange(server, query(Z('timeout-aaaa'), 'AAAA'), { transport: 'udp', sourcePort: 4003, timeoutMs: 700 }));
    expect(dropped).to.deep.equal({ v: undefined, after: 700 });
    const elsewhere = await at(up.exchange({ address: '127.0.0.9', port: 53 }, query(Z('a-only'), 'A'), { transport: 'udp', sourcePort: 4004, timeoutMs: 300 }));
    expect(elsewhere.v).to.equal(undefined);
    expect(log.map((q) => q.from.port)).to.deep.equal([4000, 4001, 4002, 4003, 4004]);
    expect(log[1].timeUs).to.equal(0);
  });
});

describe('dns: the own DNS64 in-process target', () => {
  it('is registered with own-daemon, and an unknown name is a one-line error', () => {
    expect(DNS64_TARGET_NAMES).to.include.members(['own', 'own-daemon']);
    expect(makeDns64Target('own').name).to.equal('own');
    expect(() => makeDns64Target('nope')).to.throw(UnknownDns64TargetError, /^--target: unknown DNS64 target "nope"; known: .*own/);
    expect(() => makeDns64Target('own', { faults: ['no-such-fault'] })).to.throw(UnknownDns64TargetError, /^--fault: unknown DNS64 fault "no-such-fault"; known: /);
  });

  it('synthesises the AAAA of a-only.dns64.test under the lab prefix, and shows the upstream queries', async () => {
    const target = new OwnDns64Target();
    const s = await target.open({});
    expect(s.config.prefixes).to.deep.equal([{ prefix: '2001:db8:64::/96' }]);
    expect(s.config.listen).to.equal('in-process');
    const r = await s.query(buildQuery(1, Z('a-only'), 'AAAA'), { transport: 'udp' });
    const m = dnsPacket.decode(r.bytes!);
    const aaaa = (m.answers ?? []).filter((a) => a.type === 'AAAA').map((a) => canonical((a as { data: string }).data));
    expect(aaaa).to.deep.equal(['2001:db8:64::6400:a']);
    const up = await s.upstream();
    const asked = up.map((q) => dnsPacket.decode(q.bytes).questions![0]).map((q) => `${q.type} ${q.name}`);
    expect(asked).to.include.members([`AAAA ${Z('a-only')}`, `A ${Z('a-only')}`]);
    for (const q of up) expect(q.from.port).to.be.within(1024, 65535);
    expect(await s.upstream()).to.deep.equal([]);
    await s.close();
    await target.shutdown();
  });

  it('uses the well-known prefix when the case configures none', async () => {
    const s = await new OwnDns64Target().open({ unsetPrefix: true });
    expect(s.config.prefixes).to.deep.equal([]);
    const m = dnsPacket.decode((await s.query(buildQuery(2, Z('a-only'), 'AAAA'), { transport: 'udp' })).bytes!);
    expect((m.answers ?? []).map((a) => canonical((a as { data: string }).data))).to.deep.equal(['64:ff9b::6400:a']);
  });

  it('lets upstream timeouts pass on the virtual clock: the dropped AAAA costs virtual time only', async () => {
    const s = await new OwnDns64Target().open({});
    const start = s.nowUs();
    const r = await s.query(buildQuery(3, Z('timeout-aaaa'), 'AAAA'), { transport: 'udp', timeoutMs: 60_000 });
    expect(r.bytes).to.not.equal(undefined);
    expect(r.timeUs - start).to.be.at.least(1_000_000); // at least one upstream timeout (1 s by default) went by
    const aaaa = (dnsPacket.decode(r.bytes!).answers ?? []).filter((a) => a.type === 'AAAA');
    expect(aaaa.map((a) => canonical((a as { data: string }).data))).to.deep.equal(['2001:db8:64::6400:21']);
  });

  it('a client timeout shorter than the server needs gives no reply, at exactly that virtual time', async () => {
    const s = await new OwnDns64Target().open({});
    const start = s.nowUs();
    const r = await s.query(buildQuery(4, Z('timeout-aaaa'), 'AAAA'), { transport: 'udp', timeoutMs: 200 });
    expect(r.bytes).to.equal(undefined);
    expect(r.timeUs - start).to.equal(200_000);
  });

  it('advance moves the session clock', async () => {
    const s = await new OwnDns64Target().open({ virtualClock: true });
    const t0 = s.nowUs();
    await s.advance!(300_000);
    expect(s.nowUs() - t0).to.equal(300_000_000);
  });

  it('refuses needs the DNS64 cannot run with, with its one-line reason', async () => {
    let err: unknown;
    await new OwnDns64Target().open({ prefixes: [{ prefix: '2001:db8:64::/100' }] }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(ConfigRefused);
    expect((err as Error).message).to.not.contain('\n');
  });

  it('describes itself with its faults', async () => {
    const d = await new OwnDns64Target({ faults: [] }).describe();
    expect(d.name).to.equal('own');
    expect(d.version).to.contain('in-process');
  });
});
