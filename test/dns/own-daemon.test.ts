import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { DNS } from '../../harness/dns/names';
import type { Dns64Target } from '../../harness/dns/types';
import { makeDns64Target } from '../../harness/dns-targets';
import { runPrefix } from '../../harness/lab/netns';
import { canonical } from '../../harness/packet/address';
import { buildQuery } from '../../harness/runner/run-dns-case';
import { namespaces, needRoot } from '../lab/lab-helpers';

describe('dns: the own DNS64 daemon in the DNS lab', function () {
  this.timeout(60000);
  let target: Dns64Target | undefined;
  before(function () {
    needRoot(this);
  });
  after(async () => {
    await target?.shutdown();
  });

  it('answers a synthesised AAAA over UDP and TCP, asking the lab authority from 127.0.0.1', async () => {
    target = makeDns64Target('own-daemon');
    const s = await target.open({});
    expect(s.config.listen).to.equal(`${DNS.resolverAddress}#${DNS.ports.own}`);
    expect(s.config.generated).to.contain('"trustAnchors"');
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await s.query(buildQuery(7, `daemon-${transport}.a.fresh.dns64.test`, 'AAAA'), { transport });
      expect(r.bytes, transport).to.not.equal(undefined);
      const aaaa = (dnsPacket.decode(r.bytes!).answers ?? []).filter((a) => a.type === 'AAAA').map((a) => canonical((a as { data: string }).data));
      expect(aaaa, transport).to.deep.equal(['2001:db8:64::6400:46']);
    }
    const up = await s.upstream();
    expect(up.length).to.be.at.least(2);
    expect([...new Set(up.map((q) => q.from.address))]).to.deep.equal(['127.0.0.1']);
    await s.close();
  });

  it('shutdown stops the daemon and removes the lab namespace', async () => {
    await target!.shutdown();
    await target!.shutdown();
    expect(namespaces()).to.not.include(`${runPrefix()}-dns`);
  });
});
