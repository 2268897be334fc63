import type { CaseDef } from '../../harness/runner/case';
import { closedCases } from './closed';
import { initCases } from './init';
import { establishedCases } from './established';
import { timerCases } from './timers';
import { sequenceCases } from './sequences';

export const cases: CaseDef[] = [...closedCases, ...initCases, ...establishedCases, ...timerCases, ...sequenceCases];
