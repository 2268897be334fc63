/**
 * The own engine daemon dressed up as an appliance with two Ethernet ports,
 * for testing the external target without hardware. Two namespaces: the
 * harness's (its "NICs" are veth ends, with no addresses and IPv6 off, so
 * the namespace's own stack stays silent) and the device's, where
 * `nat64lab engine` translates on a TUN.
 *
 * Inside the device: frames arriving on its veths go by tc straight to the
 * TUN (no kernel hop on the way in), except ARP and neighbour discovery,
 * which the device's kernel answers with its interface addresses. What the
 * daemon writes is routed out of the veths by the kernel, which resolves
 * the lab's hosts by ARP/NDP (the harness answers); nftables adds one to the
 * TTL / hop limit of the daemon's packets first, so the forwarding hop
 * leaves them exactly as the translator emitted them.
 *
 * Routed (`{ routed: true }`): the harness's NICs get addresses of their
 * own (HOST6, HOST4) and the device routes the lab's clients and servers via
 * them instead of expecting them on-link; the harness's kernel resolves and
 * is resolved, and the target file asks the harness to add its routes
 * toward the device.
 *
 * Neither namespace has a route to the host's network: every packet stays on
 * the two veth pairs.
 */
import type { ChildProcess } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAB } from '../../harness/lab/addressing';
import { Netns } from '../../harness/lab/netns';

export const DEVICE6 = '2001:db8:6::fffd';
export const DEVICE4 = '198.18.254.2';
/** The harness host's own addresses in routed mode: next hops of the device, none of them a lab host. */
export const HOST6 = '2001:db8:6::fffe';
export const HOST4 = '198.18.254.1';
const CLI = path.resolve(__dirname, '..', '..', 'bin', 'nat64lab.js');
const MTU = 9000;

const run = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');
let counter = 0;

/**
 * 'nlk' (or the first three characters of NAT64LAB_PREFIX, so parallel runs keep apart) + 3 characters for
 * this process + a counter: at most 8 characters, so interface names stay within 15.
 */
export function nlkPrefix(): string {
  const lead = /^[a-z][a-z0-9]{2}/.exec(process.env.NAT64LAB_PREFIX ?? '')?.[0] ?? 'nlk';
  return `${lead}${run}${(counter++).toString(36)}`;
}

export interface Appliance {
  harness: Netns;
  device: Netns;
  /** The harness's NICs. */
  nic6: string;
  nic4: string;
  dir: string;
  daemon: ChildProcess;
  /** A target file for the external target, written into `dir`. */
  targetFile: string;
  close(): Promise<void>;
}

/** nftables rules adding one to the TTL / hop limit of what the daemon writes (nft has no arithmetic on header fields). */
function hopCompensation(tun: string): string {
  const rules: string[] = [];
  for (let i = 1; i < 255; i++) {
    rules.push(`    iifname "${tun}" ip ttl ${i} ip ttl set ${i + 1} accept`);
    rules.push(`    iifname "${tun}" ip6 hoplimit ${i} ip6 hoplimit set ${i + 1} accept`);
  }
  return `table inet nlk_hop {\n  chain pre {\n    type filter hook prerouting priority -300;\n${rules.join('\n')}\n  }\n}\n`;
}

export async function buildAppliance(p: string, extra: Record<string, unknown> = {}, opts: { routed?: boolean } = {}): Promise<Appliance> {
  const harness = await Netns.create(`${p}-h`);
  const device = await Netns.create(`${p}-d`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `${p}-`));
  const nic6 = `${p}h6`;
  const nic4 = `${p}h4`;
  const dev6 = `${p}d6`;
  const dev4 = `${p}d4`;
  const tun = `${p}dx`;
  let daemon: ChildProcess | undefined;
  // Deleting the device's namespace stops the daemon (SIGTERM, then SIGKILL) it was started in.
  const close = async () => {
    await device.delete();
    await harness.delete();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [h, d] of [[nic6, dev6], [nic4, dev4]]) {
      await harness.ip(`link add ${h} mtu ${MTU} type veth peer name ${d} mtu ${MTU} netns ${device.name}`);
    }
    if (opts.routed) {
      // The harness host is a router on the links: one address per side, none in a prefix it could answer for.
      await harness.sysctl({ [`net.ipv6.conf.${nic6}.accept_ra`]: 0, [`net.ipv6.conf.${nic6}.router_solicitations`]: 0, [`net.ipv6.conf.${nic6}.accept_dad`]: 0, [`net.ipv6.conf.${nic4}.disable_ipv6`]: 1 });
      for (const n of [nic6, nic4]) await harness.ip(`link set ${n} up`);
      await harness.ip(`-6 addr add ${HOST6}/128 dev ${nic6} nodad`);
      await harness.ip(`-4 addr add ${HOST4}/32 dev ${nic4}`);
    } else {
      // The harness namespace's stack must not talk on the NICs: no IPv6, no addresses.
      await harness.sysctl({ [`net.ipv6.conf.${nic6}.disable_ipv6`]: 1, [`net.ipv6.conf.${nic4}.disable_ipv6`]: 1 });
      for (const n of [nic6, nic4]) await harness.ip(`link set ${n} up`);
    }

    const config = path.join(dir, 'engine.json');
    writeFileSync(config, JSON.stringify({ tun, pool6: LAB.pool6, pool4: LAB.pool4 }));
    daemon = device.spawn([process.execPath, CLI, 'engine', '--config', config, '--control', path.join(dir, 'control.sock')], { stdio: ['ignore', 'pipe', 'pipe'] });
    await started(daemon);

    await device.sysctl({
      'net.ipv6.conf.all.forwarding': 1,
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
      [`net.ipv6.conf.${dev6}.accept_dad`]: 0,
      [`net.ipv6.conf.${dev6}.router_solicitations`]: 0,
      [`net.ipv6.conf.${dev6}.accept_ra`]: 0,
      [`net.ipv6.conf.${dev4}.disable_ipv6`]: 1,
    });
    await device.ip(`link set ${tun} addrgenmode none`);
    await device.ip(`link set ${tun} up`);
    await device.ip(`link set ${dev6} up`);
    await device.ip(`link set ${dev4} up`);
    // Routed, the clients' /64 must not be on-link for the device: they are behind the harness host.
    await device.ip(`-6 addr add ${DEVICE6}/${opts.routed ? 128 : 64} dev ${dev6} nodad`);
    await device.ip(`-4 addr add ${DEVICE4}/32 dev ${dev4}`);
    if (opts.routed) {
      await device.ip(`-6 route add ::/0 via ${HOST6} dev ${dev6} onlink`);
      await device.ip(`-4 route add default via ${HOST4} dev ${dev4} onlink`);
    } else {
      // Every destination of the daemon's output is on-link behind the harness.
      await device.ip(`-6 route add ::/0 dev ${dev6}`);
      await device.ip(`-4 route add default dev ${dev4}`);
    }
    await device.exec(['nft', '-f', '-'], { input: hopCompensation(tun) });

    const tc = (args: string) => device.exec(['tc', ...args.split(' ')]);
    for (const d of [dev6, dev4]) await tc(`qdisc add dev ${d} clsact`);
    // Neighbour discovery (hop limit 255) addressed to the device (a multicast group, its link-local or its
    // address) is the device kernel's: a match without an action passes the packet to the stack (this kernel
    // has no gact). Everything else IP goes to the translator, including NDP toward other addresses, which a
    // NAT64 must drop and the device's stack would forward.
    const toDevice = ['match u16 0xff02 0xffff at 24', 'match u16 0xfe80 0xffc0 at 24', `match ip6 dst ${DEVICE6}/128`];
    let prio = 1;
    for (const type of [135, 136]) {
      for (const dst of toDevice) {
        await tc(`filter add dev ${dev6} ingress prio ${prio++} protocol ipv6 u32 match u8 58 0xff at 6 match u8 255 0xff at 7 match u8 ${type} 0xff at 40 ${dst} classid 1:1`);
      }
    }
    await tc(`filter add dev ${dev6} ingress prio ${prio} protocol ipv6 u32 match u32 0 0 action mirred egress redirect dev ${tun}`);
    await tc(`filter add dev ${dev4} ingress prio 3 protocol ip u32 match u32 0 0 action mirred egress redirect dev ${tun}`);

    const targetFile = path.join(dir, 'device.json');
    writeFileSync(
      targetFile,
      JSON.stringify(
        {
          name: 'engine daemon behind veths',
          ...(opts.routed ? { mode: 'routed', routes: 'harness' } : { mode: 'l2' }),
          netns: harness.name,
          ipv6: { interface: nic6, deviceAddress: DEVICE6 },
          ipv4: { interface: nic4, deviceAddress: DEVICE4 },
          pool6: LAB.pool6,
          pool4: [...LAB.pool4],
          timeouts: { udp: 300, tcpEstablished: 7200, tcpTransitory: 240, tcpInit: 240, tcpIncomingSyn: 6, icmp: 60, fragment: 2 },
          filtering: 'endpoint-independent',
          ...extra,
        },
        null,
        2,
      ),
    );
    return { harness, device, nic6, nic4, dir, daemon, targetFile, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Resolves on the daemon's start-up line; rejects when it exits first or stays silent for 15 s. */
function started(daemon: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the engine daemon did not report ready within 15 s')), 15_000);
    let out = '';
    let errText = '';
    daemon.stderr!.on('data', (s: Buffer) => (errText += s.toString()));
    daemon.stdout!.on('data', (s: Buffer) => {
      out += s.toString();
      if (/translating on /.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    daemon.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the engine daemon exited (${code}): ${errText.trim().split('\n').pop()}`));
    });
  });
}
