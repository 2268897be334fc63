import type { Dns64EffectiveConfig } from '../../harness/dns/types';
import type { Expected } from '../dns-lib/checks';
import { synthesized } from '../dns-lib/expected';

export const SUITE = 'dns64-synthesis';

/** The AAAA records a correct DNS64 makes of these A addresses under the case's configuration. */
export function expectedFor(config: Dns64EffectiveConfig, ipv4s: readonly string[]): Expected[] {
  return ipv4s.map((a) => synthesized(config, a) ?? { address: `(no Pref64 serves ${a})`, why: 'configuration' });
}
