import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { basicCases } from './basics';
import { aaaaDataCases } from './aaaa-data';
import { exclusionCases } from './exclusion';
import { chainCases } from './chains';
import { prefixCases } from './prefixes';
import { ptrCases } from './ptr';
import { sectionCases } from './sections';

export const cases: DnsCaseDef[] = [...basicCases, ...aaaaDataCases, ...exclusionCases, ...chainCases, ...prefixCases, ...ptrCases, ...sectionCases];
