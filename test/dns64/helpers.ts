/** Shared set-up of the DNS64 tests: a server on a virtual clock over the fake upstream. */
import * as packet from 'dns-packet';
import { createDns64, parseDns64Config } from '../../engine/dns64';
import type { Dns64Server } from '../../engine/dns64/api';
import { seededRandom, virtualClock, VirtualClock } from '../../engine';
import { FakeUpstream, trustAnchor } from './fake-upstream';

export interface Rig {
  server: Dns64Server;
  upstream: FakeUpstream;
  clock: VirtualClock;
  ask(name: string, type: string, opts?: AskOptions): Promise<any>;
}

export interface AskOptions {
  do?: boolean;
  cd?: boolean;
  edns?: false | number;
  transport?: 'udp' | 'tcp';
  client?: string;
  class?: string;
}

/** 2026-06-01, inside the fixture's signature validity. */
const WALL = Date.UTC(2026, 5, 1);

export function rig(config: Record<string, unknown> = {}, upstream = new FakeUpstream()): Rig {
  const clock = virtualClock(0);
  const server = createDns64(parseDns64Config({ prefixes: ['2001:db8:64::/96'], ...config }, 'test'), {
    clock,
    random: seededRandom(7),
    upstream,
    wallTime: () => WALL + clock.now(),
  });
  let id = 1;
  return {
    server,
    upstream,
    clock,
    async ask(name, type, opts = {}) {
      const additionals: any[] = [];
      if (opts.edns !== false) additionals.push({ name: '.', type: 'OPT', udpPayloadSize: typeof opts.edns === 'number' ? opts.edns : 1232, flags: opts.do ? packet.DNSSEC_OK : 0 });
      const q = packet.encode({ id: id++, type: 'query', flags: packet.RECURSION_DESIRED | (opts.cd ? packet.CHECKING_DISABLED : 0), questions: [{ name, type, class: opts.class ?? 'IN' } as any], additionals });
      const out = await server.handle(q, { address: opts.client ?? '2001:db8:6::10', port: 40000, transport: opts.transport ?? 'udp' });
      return out ? { ...(packet.decode(out) as any), size: out.length } : undefined;
    },
  };
}

export function validatingRig(config: Record<string, unknown> = {}): Rig {
  return rig({ dnssec: { validate: true, trustAnchors: [trustAnchor()] }, ...config });
}

export const data = (r: any, type: string) => (r.answers ?? []).filter((x: any) => x.type === type).map((x: any) => x.data);
export const ttls = (r: any, type: string) => (r.answers ?? []).filter((x: any) => x.type === type).map((x: any) => x.ttl);
