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
] as const;

export type XlatFault = (typeof XLAT_FAULTS)[number];
