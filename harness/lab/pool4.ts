/** Expanding a pool4 declaration (addresses or prefixes) into its addresses. */
import { formatIPv4, parsePrefix, parseIPv4 } from '../packet/address';
import type { Pool4Entry } from '../../engine/api';

/** Largest prefix a pool entry may name: a /16 is already 65,536 addresses. */
const MIN_POOL_PREFIX = 16;

export function expandPool4(pool: Pool4Entry[]): string[] {
  const out: string[] = [];
  for (const e of pool) {
    if (!e.address.includes('/')) {
      out.push(formatIPv4(parseIPv4(e.address)));
      continue;
    }
    const p = parsePrefix(e.address);
    if (p.family !== 4 || p.length < MIN_POOL_PREFIX) throw new Error(`pool4 "${e.address}": use an IPv4 prefix of /${MIN_POOL_PREFIX} or longer`);
    const base = p.bytes.readUInt32BE(0) & (p.length === 0 ? 0 : (~0 << (32 - p.length)) >>> 0);
    const n = 2 ** (32 - p.length);
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE((base + i) >>> 0, 0);
      out.push(formatIPv4(b));
    }
  }
  return out;
}
