/** Shared setup for the lab tests: root gating and unique names with the test prefix 'nla'. */
import { execFileSync } from 'child_process';
import { readdirSync } from 'fs';

/** Skips the test unless root; in CI (env CI set) a missing root is a failure, not a skip. */
export function needRoot(ctx: Mocha.Context): void {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return;
  if (process.env.CI) throw new Error('the lab tests need root in CI (they create network namespaces and TUN devices)');
  ctx.skip();
}

let counter = 0;
const run = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');

/** A fresh name: 'nla' + 3 chars for this process + a counter + suffix (≤15 chars for interfaces). */
export function testName(suffix = ''): string {
  return `nla${run}${(counter++).toString(36)}${suffix}`;
}

/** Namespaces present (the files under /run/netns; `ip netns list` complains while one is being deleted). */
export function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

export function hostLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}
