/**
 * A copy of bytes the engine keeps for a long time (held fragments, a held
 * SYN). Buffer.from takes small buffers out of shared 8 KiB pools, and one
 * long-lived copy keeps its whole pool alive: memory caps then hold several
 * times what they count.
 */
export function unpooledCopy(b: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  copy.set(b);
  return copy;
}
