import type { Detector } from '../finding.ts';
import { cardDetector } from './card-detector.ts';
import { emailDetector } from './email-detector.ts';
import { ibanDetector } from './iban-detector.ts';
import { ipDetector } from './ip-detector.ts';
import { phoneDetector } from './phone-detector.ts';
import { privateKeyDetector } from './private-key-detector.ts';
import { SECRET_REGEX_DETECTORS } from './secret-detectors.ts';
import { ssnDetector } from './ssn-detector.ts';

/** Every built-in detector, one per entity type (BUILTIN_ENTITY_TYPES names them all). */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  privateKeyDetector,
  ...SECRET_REGEX_DETECTORS,
  emailDetector,
  cardDetector,
  ibanDetector,
  ssnDetector,
  ipDetector,
  phoneDetector,
];
