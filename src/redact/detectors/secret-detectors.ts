import type { Detector } from '../finding.ts';
import { awsSecretKeyDetector, passwordAssignmentDetector } from './credential-assignments.ts';
import { literalDetector } from './literal-detector.ts';
import { groupRange, regexDetector } from './regex-detector.ts';

/**
 * Credentials with a published, recognisable shape. Each pattern contains a literal (its prefix)
 * that `indexOf` finds, so the pattern runs only where it can match (literal-detector.ts); every
 * repetition is bounded. Priority 100: a secret wins over any PII pattern it happens to contain.
 */
const P = 100;

/** AWS access key ids: a four-letter kind prefix and 16 base-32 characters. */
export const awsAccessKeyDetector = regexDetector(
  'AWS_ACCESS_KEY',
  P,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|A3T[A-Z0-9])[A-Z2-7]{16}(?![A-Za-z0-9])/g,
);

export const githubTokenDetector = literalDetector(
  'GITHUB_TOKEN',
  P,
  [['gh', 0], ['b_pat_', 5]], // not '_pat_': Stripe's needles start with '_' (each shared first character is a flood risk)
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g,
);

export const gitlabTokenDetector = literalDetector(
  'GITLAB_TOKEN',
  P,
  [['gl', 0]],
  /(?<![A-Za-z0-9_-])(?:glpat|gldt|glrt|glptt|glsoat|gloas)-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/g,
);

/** Slack tokens (bot, user, app, refresh, config) and incoming-webhook URLs. */
export const slackTokenDetector = literalDetector(
  'SLACK_TOKEN',
  P,
  [['xox', 0], ['xapp-', 0], ['ks.sl', 11]], // ks.sl in https://hooks.slack.com
  /(?<![A-Za-z0-9])(?:xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32})(?![A-Za-z0-9])/g,
);

export const stripeKeyDetector = literalDetector(
  'STRIPE_KEY',
  P,
  [['_live_', 2], ['_test_', 2]],
  /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g,
);

export const googleApiKeyDetector = literalDetector(
  'GOOGLE_API_KEY',
  P,
  [['AIza', 0]],
  /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
);

/** OpenAI: legacy `sk-` + 48, project/service/admin keys `sk-proj-…`; `sk-ant-` is Anthropic's. */
export const openaiKeyDetector = literalDetector(
  'OPENAI_API_KEY',
  P - 1,
  [['k-', 1]], // 'k' is rarer than 's' in text, so memchr skips further
  /(?<![A-Za-z0-9_-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,400}(?![A-Za-z0-9_-])/g,
);

export const anthropicKeyDetector = literalDetector(
  'ANTHROPIC_API_KEY',
  P,
  [['-ant-', 2]],
  /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9]{2,8}\d{0,3}-[A-Za-z0-9_-]{20,400}(?![A-Za-z0-9_-])/g,
);

/** JWT / JWS compact form: base64url JSON header (`eyJ` is `{"`), payload, signature (may be empty). */
export const jwtDetector = literalDetector(
  'JWT',
  P,
  [['yJ', 1]], // 'e' is the commonest letter: searching for it would stop everywhere
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4000}\.eyJ[A-Za-z0-9_-]{4,16000}\.[A-Za-z0-9_-]{0,2000}(?![A-Za-z0-9_-])/g,
);

/**
 * A password in a URL's userinfo: `postgres://app:s3cret@db:5432/x`. Only the password is
 * redacted, so the scheme, user and host stay readable for whoever debugs the connection.
 */
export const connectionStringDetector = literalDetector(
  'CONNECTION_STRING_PASSWORD',
  P,
  [['//', 1]],
  /:\/\/[^\s:@/?#"'<>]{0,128}:([^\s@/?#"'<>]{1,256})@(?=[A-Za-z0-9[])/dg,
  (m) => {
    const r = groupRange(m, 1);
    if (r === null) return null;
    const pw = (m[1] as string);
    return /^(?:\*+|x+|\$\{[^}]*\}|<[^>]*>|password|\{\{[^}]*\}\})$/i.test(pw) ? null : r;
  },
);

export const SECRET_REGEX_DETECTORS: readonly Detector[] = [
  awsAccessKeyDetector,
  awsSecretKeyDetector,
  githubTokenDetector,
  gitlabTokenDetector,
  slackTokenDetector,
  stripeKeyDetector,
  googleApiKeyDetector,
  openaiKeyDetector,
  anthropicKeyDetector,
  jwtDetector,
  connectionStringDetector,
  passwordAssignmentDetector,
];
