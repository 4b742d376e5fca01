import type { Detector } from '../finding.ts';
import { assignmentDetector } from './assignment-detector.ts';
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

/**
 * AWS secret access keys are 40 characters of base64 with no marker of their own: only taken next
 * to a name that says what they are (`aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY: …`).
 */
export const awsSecretKeyDetector = assignmentDetector(
  'AWS_SECRET_KEY',
  P,
  { nameEnds: ['key', 'secret'], minName: 'awssecret'.length, maxName: 'secret_access_key'.length, wordStart: false },
  /(?:secret_?access_?key|aws_?secret(?:_?key)?)["']?\s{0,4}(?:[:=]|=>)\s{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
  (m) => groupRange(m, 1),
);

export const githubTokenDetector = literalDetector(
  'GITHUB_TOKEN',
  P,
  [['gh', 0], ['_pat_', 6]],
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
  [['xox', 0], ['xapp-', 0], ['k.com', 18]], // k.com in https://hooks.slack.com
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
  [['k-ant-', 1]],
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

/**
 * `password=…`, `api_key: …`, `"client_secret": "…"`: the value after a name that says it is a
 * credential. Values that are obviously not one are left: placeholders (`***`, `<redacted>`,
 * `${VAR}`), type names (`password: string`), and code reading it from elsewhere
 * (`password = config.password`, `os.environ[...]`).
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9])(password|passwd|passphrase|pwd|secret|client_secret|secret_key|api[_-]?key|apikey|access[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|session[_-]?token|token|private[_-]?key|credentials?)["']?\s{0,4}(?::|=|=>|:=)\s{0,4}("[^"\n]{1,256}"|'[^'\n]{1,256}'|[^\s"'`,;&<>{}()[\]]{3,256})/dgi;
const NOT_A_VALUE =
  /^(?:null|nil|none|undefined|true|false|string|str|number|int|integer|boolean|bool|object|any|required|optional|yes|no|\*+|x+|\.+|-+|\$\{.*|\$[A-Z_][A-Z0-9_]*|%[^%]*%|<.*|\{\{.*|\[redacted.*|redacted|hidden|masked)$/i;
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const CODE_READ = /^(?:process\.env|os\.environ|env\.|getenv|secrets\.|vault:)/i;

/** Every name in ASSIGNMENT ends with one of these; the shortest is `pwd`, the longest `refresh_token`. */
const ASSIGNMENT_NAMES = {
  nameEnds: ['password', 'passwd', 'passphrase', 'pwd', 'secret', 'key', 'token', 'credential', 'credentials'],
  minName: 'pwd'.length,
  maxName: 'refresh_token'.length,
  wordStart: true,
};

export const passwordAssignmentDetector = assignmentDetector('PASSWORD_ASSIGNMENT', P - 2, ASSIGNMENT_NAMES, ASSIGNMENT, (m) => {
  const r = groupRange(m, 2);
  if (r === null) return null;
  let [start, end] = r;
  let value = m[2] as string;
  const q = value.charCodeAt(0);
  if (q === 34 || q === 39) {
    value = value.slice(1, -1);
    start++;
    end--;
  }
  if (value.length < 3 || NOT_A_VALUE.test(value.trim()) || DOTTED_IDENTIFIER.test(value) || CODE_READ.test(value)) return null;
  // A bare `token` names too many harmless things (`max_token=1000`): there, want a token-like value.
  if (/^token$/i.test(m[1] as string) && (value.length < 8 || /^\d+$/.test(value))) return null;
  return [start, end];
});

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
