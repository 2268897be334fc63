/**
 * The lab's address plan. Nothing here is routed outside the lab: the
 * in-process engine never emits a real packet, and TUN labs live in
 * namespaces without a route to the host's network.
 *
 * - IPv6 clients sit in 2001:db8:6::/64 (documentation space).
 * - The default Pref64 is the network-specific 2001:db8:64::/96, so any IPv4
 *   server address may be embedded (RFC 6052 §3.1 restricts only the
 *   well-known prefix).
 * - IPv4 servers and the pool use 198.18.0.0/15, the benchmarking range: it is
 *   non-global, which is exactly why the well-known-prefix rule is tested with
 *   it on purpose, and why WKP cases use SERVER4_GLOBAL instead.
 * - SERVER4_GLOBAL is ordinary global unicast (100.0.0.0/10 lies outside the
 *   shared range 100.64.0.0/10), used only inside the lab for well-known-prefix cases.
 */
export const LAB = {
  pool6: '2001:db8:64::/96',
  wellKnownPrefix: '64:ff9b::/96',
  client6: ['2001:db8:6::10', '2001:db8:6::11', '2001:db8:6::12', '2001:db8:6::13'],
  /** An IPv6 address outside every prefix the translator owns. */
  outside6: '2001:db8:99::1',
  pool4: ['198.18.0.1', '198.18.0.2'],
  server4: ['198.18.100.10', '198.18.100.11', '198.18.100.12'],
  server4Global: ['100.0.0.10', '100.0.0.11'],
  /** An IPv4 address that is neither in the pool nor a server (a router on the IPv4 side). */
  router4: '198.18.200.1',
  /** A router on the IPv6 side, for ICMPv6 errors injected from inside. */
  router6: '2001:db8:6::1',
} as const;
