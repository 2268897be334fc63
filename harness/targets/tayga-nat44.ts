/**
 * The NAT44 half of the `tayga` target: an nftables ruleset that maps
 * TAYGA's internal pool onto the lab's pool4, and the routes that make the
 * pool4 addresses the host's own (as operators assign them), so inbound
 * packets without a mapping meet the Linux host rather than loop back out.
 *
 * Mapping, filtering, port choice and session timers on the IPv4 side are
 * Linux conntrack's; the target reports them as behaviour of the
 * TAYGA + Linux combination.
 */
import type { Pool4Entry, PortRange, Protocol } from '../../engine/api';
import { ipv4ToNumber } from '../packet/address';
import { expandPool4 } from '../lab/pool4';
import { INTERNAL_POOL } from './tayga-config';

export const NFT_TABLE = 'nat64lab_nat44';

const PROTOCOLS: Protocol[] = ['udp', 'tcp', 'icmp'];

/** A pool4 the NAT44 rules cannot express; the message is the one-line reason. */
export class Pool4Unsupported extends Error {}

function rangeOf(e: Pool4Entry, proto: Protocol): PortRange | undefined {
  const r = e.ports?.[proto];
  if (!r) return undefined;
  const full = proto === 'icmp' ? r.min <= 0 && r.max >= 65535 : r.min <= 1 && r.max >= 65535;
  return full ? undefined : r;
}

function sameRange(a: PortRange | undefined, b: PortRange | undefined): boolean {
  return a?.min === b?.min && a?.max === b?.max;
}

/** The addresses, in order, when they form one contiguous run; else undefined. */
function contiguous(addresses: string[]): [string, string] | undefined {
  const n = addresses.map(ipv4ToNumber).sort((a, b) => a - b);
  for (let i = 1; i < n.length; i++) if (n[i] !== n[i - 1] + 1) return undefined;
  const sorted = [...addresses].sort((a, b) => ipv4ToNumber(a) - ipv4ToNumber(b));
  return [sorted[0], sorted[sorted.length - 1]];
}

/**
 * The nft ruleset for `pool4` leaving through `outIf`. Linux applies one
 * address range per rule: a contiguous pool is one range with `persistent`
 * (one IPv4 address per internal host: paired pooling, RFC 4787 REQ-2);
 * disjoint blocks are chosen by a hash of the internal address, which is
 * paired as well.
 */
export function nat44Ruleset(pool4: Pool4Entry[], outIf: string): string {
  if (pool4.length === 0) throw new Pool4Unsupported('pool4 is empty: give at least one IPv4 address');
  const addresses = expandPool4(pool4);
  const run = contiguous(addresses);
  const lines: string[] = [];
  for (const proto of PROTOCOLS) {
    const ranges = pool4.map((e) => rangeOf(e, proto));
    if (!ranges.every((r) => sameRange(r, ranges[0]))) {
      throw new Pool4Unsupported(`pool4: the ${proto} port ranges differ between entries; the NAT44 rule takes one port range for the whole pool`);
    }
    // Without a port range the catch-all rule below does the same.
    if (!ranges[0]) continue;
    const ports = `:${ranges[0].min}-${ranges[0].max}`;
    const target = run
      ? `${run[0] === run[1] ? run[0] : `${run[0]}-${run[1]}`}${ports} persistent`
      : `jhash ip saddr mod ${addresses.length} map { ${addresses.map((a, i) => `${i} : ${a}`).join(', ')} }${ports}`;
    lines.push(`    oifname "${outIf}" ip saddr ${INTERNAL_POOL} meta l4proto ${proto} snat to ${target}`);
  }
  // Anything else TAYGA emits (other protocols) still leaves from the pool, never from the private range.
  const any = run ? `${run[0] === run[1] ? run[0] : `${run[0]}-${run[1]}`} persistent` : `jhash ip saddr mod ${addresses.length} map { ${addresses.map((a, i) => `${i} : ${a}`).join(', ')} }`;
  lines.push(`    oifname "${outIf}" ip saddr ${INTERNAL_POOL} snat to ${any}`);
  return [
    `table ip ${NFT_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...lines,
    '  }',
    // After NAT (srcnat is 100): a packet conntrack could not map (an ICMP error about no known flow is "invalid" and
    // skips NAT) would otherwise leave with its private source; operators filter their private ranges at the edge.
    '  chain egress {',
    '    type filter hook postrouting priority 200; policy accept;',
    `    oifname "${outIf}" ip saddr ${INTERNAL_POOL} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Replaces the table atomically (nft -f applies a file as one transaction). */
export function replaceScript(ruleset: string): string {
  return `table ip ${NFT_TABLE}\ndelete table ip ${NFT_TABLE}\n${ruleset}`;
}

/** `ip route` lines making each pool4 entry local to the host (addresses or prefixes as declared). */
export function localRoutes(pool4: Pool4Entry[]): string[] {
  return pool4.map((e) => `route replace local ${e.address.includes('/') ? e.address : `${e.address}/32`} dev lo`);
}

export function removeLocalRoutes(pool4: Pool4Entry[]): string[] {
  return pool4.map((e) => `route del local ${e.address.includes('/') ? e.address : `${e.address}/32`} dev lo`);
}
