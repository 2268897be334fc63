/**
 * Names of the faults the RFC 7915 translation honours. Descriptions and the
 * requirement ids each one violates live in engine/faults.ts (FAULTS); this
 * list only exists so that `hasFault` is type-checked and a test can prove
 * every name here is registered there.
 */
export const XLAT_FAULTS = [
  'no-hop-limit-decrement',
  'no-time-exceeded',
  'wrong-traffic-class',
  'tos-knob-ignored',
  'nonzero-flow-label',
  'drop-zero-udp-checksum',
  'keep-zero-udp-checksum',
  'bad-transport-checksum',
  'df-always-set',
  'df-never-set',
  'translate-icmp-info',
  'echo-type-untranslated',
  'icmp-protocol-untranslated',
  'ext-headers-not-skipped',
  'routing-header-ignored',
  'fragment-ext-chain-translated',
  'fragment-header-ignored',
  'atomic-fragments',
  'source-route-ignored',
  'drop-ipv4-options',
  'illegal-source-translated',
  'icmp-error-dscp-zero',
  'icmp-error-storm',
  // Added with the header-translation suite.
  'total-length-counts-ipv6-header',
  'igmp-translated',
  // Added with the icmp-error suite (engine/xlat/icmp-error-xlat.ts).
  'icmp-error-type-untranslated',
  'icmp-error-drop-rows-translated',
  'icmp-pointer-untranslated',
  'ptb-mtu-copied',
  'icmp-error-untranslated-inner',
  'inner-ttl-decremented',
  'icmp-error-no-truncate',
  'icmp-ext-length-copied',
  'icmp-error-outer-length-stale',
  'icmp-error-checksums-unchecked',
  'inner-l4-checksum-validated',
  'icmp-error-in-error-translated',
] as const;

export type XlatFault = (typeof XLAT_FAULTS)[number];
