/**
 * Entity types the built-in detectors produce. The names are public: they appear in policy data
 * (`data.warden.redaction.types` / `exempt`), in decisions (`redact`), in config
 * (`redaction.actions`), in masks (`[REDACTED:EMAIL_ADDRESS]`), in audit evidence and in metrics.
 */
export const PII_ENTITY_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'IP_ADDRESS',
] as const;

export const SECRET_ENTITY_TYPES = [
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'GITHUB_TOKEN',
  'GITLAB_TOKEN',
  'SLACK_TOKEN',
  'STRIPE_KEY',
  'GOOGLE_API_KEY',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'JWT',
  'PRIVATE_KEY',
  'CONNECTION_STRING_PASSWORD',
  'PASSWORD_ASSIGNMENT',
] as const;

export type BuiltinEntityType = (typeof PII_ENTITY_TYPES)[number] | (typeof SECRET_ENTITY_TYPES)[number];

/** Every built-in type; the default policy redacts all of them unless `policy.data` exempts one. */
export const BUILTIN_ENTITY_TYPES: readonly string[] = Object.freeze([...PII_ENTITY_TYPES, ...SECRET_ENTITY_TYPES]);

/** Custom types (config) follow the same shape, so they fit masks, metrics labels and policy data. */
export const ENTITY_TYPE_NAME = /^[A-Z][A-Z0-9_]{1,47}$/;
