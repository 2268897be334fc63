/**
 * The life of one case, the same for the NAT64 and the DNS64 runner: open a
 * session with the case's needs, run the case against its recorder, close
 * the session whatever happened, and turn the outcome into a CaseResult.
 * Keeping it in one place keeps the verdict rules of the two runners equal:
 * harness failures are `error`, unmet preconditions and refused
 * configurations `na`, and a requirement the case declared but never checked
 * is an error of the case itself, so a case cannot silently pass by not
 * looking.
 */
import { ConfigRefused, NotApplicable } from '../lab/target';
import type { CaseResult, CheckResult, EvidencePacket } from '../results/types';
import { blanket, caseVerdict, missingChecks } from './check-recorder';
import type { CheckedCase } from './check-recorder';

/** What the lifecycle needs of a session: the configuration it runs with, and closing it. */
export interface CaseSession {
  readonly config: object;
  close(): Promise<void>;
}

/** What the lifecycle needs of a recorder: what the case checked and noted, and its evidence. */
export interface CaseRecording {
  readonly checks: CheckResult[];
  readonly notes: string[];
  evidence(): EvidencePacket[];
}

export interface CaseLifecycle<S extends CaseSession, R extends CaseRecording> {
  /** Open the session the case runs in (ConfigRefused or NotApplicable make the case na). */
  open(): Promise<S>;
  /** The case's recorder on that session. */
  recorder(session: S): R;
  /** Run the case body; anything the runner must collect before the checks are judged belongs here too. */
  run(rec: R): Promise<void>;
}

export async function runCaseLifecycle<S extends CaseSession, R extends CaseRecording>(def: CheckedCase, life: CaseLifecycle<S, R>): Promise<CaseResult> {
  const started = Date.now();
  let session: S | undefined;
  let rec: R | undefined;
  let checks: CheckResult[] = [];
  let reason: string | undefined;
  try {
    session = await life.open();
    rec = life.recorder(session);
    await life.run(rec);
    checks = rec.checks;
    const missing = missingChecks(def, checks);
    if (missing.length) {
      reason = `the case recorded no check for ${missing.join(', ')}`;
      checks = blanket(def, 'error', reason, checks);
    }
  } catch (err) {
    const already = rec?.checks ?? [];
    if (err instanceof NotApplicable || err instanceof ConfigRefused) {
      reason = err instanceof ConfigRefused ? `the target refused the case's configuration: ${err.message}` : err.message;
      checks = blanket(def, 'na', reason, already);
    } else {
      reason = `harness error: ${err instanceof Error ? err.message : String(err)}`;
      checks = blanket(def, 'error', reason, already);
    }
  } finally {
    await session?.close().catch(() => undefined);
  }
  return {
    id: def.id,
    suite: def.suite,
    title: def.title,
    requirements: def.requirements,
    verdict: caseVerdict(checks),
    checks,
    reason,
    config: session ? { ...session.config } : undefined,
    evidence: rec?.evidence() ?? [],
    notes: rec?.notes ?? [],
    durationMs: Date.now() - started,
  };
}

/** The result of a case that never finished (mocha's per-case timeout): every declared requirement is an error. */
export function unfinishedCase(def: CheckedCase, timeoutMs: number): CaseResult {
  const reason = `harness error: the case did not finish within ${timeoutMs / 1000} s`;
  const checks = blanket(def, 'error', reason, []);
  return { id: def.id, suite: def.suite, title: def.title, requirements: def.requirements, verdict: caseVerdict(checks), checks, reason, evidence: [], notes: [], durationMs: timeoutMs };
}
