import type { CaseDef } from '../../harness/runner/case';

export const cases: CaseDef[] = [];
