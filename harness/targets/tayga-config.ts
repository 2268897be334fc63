/**
 * The TAYGA side of the `tayga` target: the fixed internal plan and the
 * tayga.conf text for one Pref64. TAYGA is stateless (RFC 7915 SIIT with a
 * dynamic address pool); the stateful NAT64 is TAYGA plus NAT44 on its
 * Linux host, so the IPv4 side of TAYGA only ever sees the internal pool.
 */
import { formatPrefix, parsePrefix } from '../packet/address';

/** Addresses TAYGA hands out to IPv6 hosts; NAT44 maps them to pool4. Private on purpose: never seen outside the namespace. */
export const INTERNAL_POOL = '192.168.255.0/24';
/** TAYGA's own IPv4 address (source of the ICMPv4 errors it originates), inside the pool so NAT44 covers it too. */
export const TAYGA_IPV4 = '192.168.255.1';
/**
 * TAYGA's own IPv6 address (source of the ICMPv6 errors it originates).
 * Required with the well-known prefix and a private ipv4-addr; chosen
 * outside 2001:db8::/32 and 3fff::/20 so that no Pref64 a case asks for can
 * contain it.
 */
export const TAYGA_IPV6 = '2001:db9:64ff::1';

export interface TaygaConfOptions {
  tunDevice: string;
  /** Pref64; undefined writes no `prefix` directive (TAYGA then translates only `map` entries). */
  pool6?: string;
}

/**
 * tayga.conf for the lab. No `data-dir`: TAYGA would keep its dynamic
 * mappings in dynamic.map across restarts, and a case must not inherit the
 * previous one's. No IPv4 address of the pool goes on the TUN either (the
 * caller's part): ICMP errors the host originates would be sourced from it,
 * could not be mapped, and would be dropped.
 */
export function taygaConf(o: TaygaConfOptions): string {
  return [
    `tun-device ${o.tunDevice}`,
    `ipv4-addr ${TAYGA_IPV4}`,
    `ipv6-addr ${TAYGA_IPV6}`,
    ...(o.pool6 ? [`prefix ${o.pool6}`] : []),
    `dynamic-pool ${INTERNAL_POOL}`,
    '',
  ].join('\n');
}

/** `prefix/length` with its host bits cleared, as `ip route` wants it (TAYGA itself decides what it accepts). */
export function routablePrefix(pool6: string): string {
  const p = parsePrefix(pool6);
  const b = Buffer.from(p.bytes);
  for (let bit = p.length; bit < 128; bit++) b[bit >> 3] &= ~(0x80 >> (bit & 7));
  return formatPrefix({ ...p, bytes: b });
}
