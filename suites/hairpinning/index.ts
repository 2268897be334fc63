import type { CaseDef } from '../../harness/runner/case';
import { hairpinCases } from './cases';

export const cases: CaseDef[] = hairpinCases;
