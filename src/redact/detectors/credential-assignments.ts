import { assignmentDetector, valueRange } from './assignment-detector.ts';

/** `a_b`, `a-b` and `ab`: the spellings of a two-word name (`[_-]?` in a pattern). */
const spellings = (a: string, b: string) => [`${a}_${b}`, `${a}-${b}`, `${a}${b}`];

/**
 * AWS secret access keys are 40 characters of base64 with no marker of their own: only taken next
 * to a name that says what they are (`aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY: …`).
 * No word boundary before the name: `MY_AWS_SECRET=…` counts too.
 */
export const awsSecretKeyDetector = assignmentDetector(
  'AWS_SECRET_KEY',
  100,
  {
    names: [
      'secret_access_key', 'secret_accesskey', 'secretaccess_key', 'secretaccesskey',
      'aws_secret_key', 'aws_secretkey', 'aws_secret', 'awssecret_key', 'awssecretkey', 'awssecret',
    ],
    wordStart: false,
    rest: String.raw`["']?\s{0,4}(?:[:=]|=>)\s{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
  },
  valueRange,
);

/**
 * `password=…`, `api_key: …`, `"client_secret": "…"`: the value after a name that says it is a
 * credential. Values that are obviously not one are left: placeholders (`***`, `<redacted>`,
 * `${VAR}`), type names (`password: string`), and code reading it from elsewhere
 * (`password = config.password`, `os.environ[...]`).
 */
const CREDENTIAL_NAMES = [
  'password', 'passwd', 'passphrase', 'pwd', 'secret', 'client_secret', 'secret_key',
  ...spellings('api', 'key'), ...spellings('access', 'key'), ...spellings('access', 'token'),
  ...spellings('auth', 'token'), ...spellings('refresh', 'token'), ...spellings('session', 'token'),
  'token', ...spellings('private', 'key'), 'credentials', 'credential',
];
const VALUE = String.raw`["']?\s{0,4}(?::|=|=>|:=)\s{0,4}("[^"\n]{1,256}"|'[^'\n]{1,256}'|[^\s"'` + '`' + String.raw`,;&<>{}()[\]]{3,256})`;
const NOT_A_VALUE =
  /^(?:null|nil|none|undefined|true|false|string|str|number|int|integer|boolean|bool|object|any|required|optional|yes|no|\*+|x+|\.+|-+|\$\{.*|\$[A-Z_][A-Z0-9_]*|%[^%]*%|<.*|\{\{.*|\[redacted.*|redacted|hidden|masked)$/i;
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const CODE_READ = /^(?:process\.env|os\.environ|env\.|getenv|secrets\.|vault:)/i;

export const passwordAssignmentDetector = assignmentDetector('PASSWORD_ASSIGNMENT', 98, { names: CREDENTIAL_NAMES, wordStart: true, rest: VALUE }, (m) => {
  let [start, end] = valueRange(m);
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
