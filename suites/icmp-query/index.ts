import type { CaseDef } from '../../harness/runner/case';
import { echoCases } from './echo';
import { informationalCases } from './informational';
import { timerCases } from './timers';

export const cases: CaseDef[] = [...echoCases, ...informationalCases, ...timerCases];
