import type { CaseDef } from '../../harness/runner/case';
import { sessionCases } from './sessions';
import { timerCases } from './timers';

export const cases: CaseDef[] = [...sessionCases, ...timerCases];
