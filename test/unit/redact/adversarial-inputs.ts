/**
 * Adversarial 1 MB inputs for every built-in detector: long runs of the characters each pattern
 * starts or repeats with, near-misses, and floods of valid values (the most findings a megabyte
 * can hold). Shared by test/unit/redact/adversarial.test.ts (stays linear) and
 * bench/redact.bench.ts (reports the worst case against the 50 ms budget).
 */
export const MB = 1 << 20;

/** `unit` repeated to exactly 1 MB. */
export const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

// Synthetic credentials are assembled at run time so that secret scanners do not flag this file.
const join = (...parts: string[]) => parts.join('');
const AWS_SECRET = join('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
const ALNUM_36 = 'aZ3kQ9xPm2Lb7RtYw5VnC8dEaZ3kQ9xPm2Lb';

export interface AdversarialInput {
  readonly name: string;
  /** The entity types whose detector this input is built against. */
  readonly targets: readonly string[];
  readonly text: string;
  /**
   * What the scan must find: nothing (near-misses, prefixes), or every occurrence of `value` as a
   * finding of `type` (floods of real values). Absent: whatever the rules say (partial shapes).
   */
  readonly expect?: 'nothing' | { readonly type: string; readonly value: string };
}

const input = (name: string, targets: string[], unit: string, expect?: AdversarialInput['expect']): AdversarialInput => ({ name, targets, text: fill(unit), expect });
/** A flood of `value`, each followed by `after`: every occurrence must be found as `type`. */
const flood = (name: string, type: string, value: string, after = ' ', before = ''): AdversarialInput =>
  input(name, [type], before + value + after, { type, value });

export const ADVERSARIAL_INPUTS: readonly AdversarialInput[] = [
  input('digit run', ['CREDIT_CARD', 'PHONE_NUMBER', 'US_SSN'], '1', 'nothing'),
  input('spaced digits', ['PHONE_NUMBER', 'CREDIT_CARD'], '1 ', 'nothing'),
  input('dashed digits', ['PHONE_NUMBER', 'US_SSN'], '12-', 'nothing'),
  input('dotted digits', ['IP_ADDRESS', 'PHONE_NUMBER'], '1.', 'nothing'),
  input('parentheses', ['PHONE_NUMBER'], '(1) ', 'nothing'),
  input('near-miss phones', ['PHONE_NUMBER'], '+1 (2', 'nothing'),
  flood('phones', 'PHONE_NUMBER', '+44 20 7946 0958'),
  flood('phones with context', 'PHONE_NUMBER', '0490 75 40 81', ' ', 'phone '),
  flood('cards', 'CREDIT_CARD', '4111 1111 1111 1111'),
  input('near-miss cards', ['CREDIT_CARD'], '4111 1111 1111 1112 ', 'nothing'),
  input('card then digits', ['CREDIT_CARD'], '4111111111111111', 'nothing'),
  input('IBAN prefixes', ['IBAN_CODE'], 'GB12 ', 'nothing'),
  flood('IBANs', 'IBAN_CODE', 'GB82 WEST 1234 5698 7654 32'),
  flood('SSNs', 'US_SSN', '078-05-1121'),
  input('near-miss SSNs', ['US_SSN'], '000-12-3456 ', 'nothing'),
  flood('bare SSNs with context', 'US_SSN', '536904555', ' ', 'SSN '),
  input('bare nine digits', ['US_SSN'], '536904555 ', 'nothing'),
  flood('IPv4 addresses', 'IP_ADDRESS', '203.0.113.42'),
  flood('IPv6 addresses', 'IP_ADDRESS', '2001:db8::1'),
  input('hex and colons', ['IP_ADDRESS'], 'ffff:', 'nothing'),
  input('colons', ['IP_ADDRESS', 'PASSWORD_ASSIGNMENT', 'AWS_SECRET_KEY'], ':', 'nothing'),
  input('letters', ['EMAIL_ADDRESS', 'IBAN_CODE'], 'a', 'nothing'),
  input('at signs', ['EMAIL_ADDRESS'], '@', 'nothing'),
  input('a@ pairs', ['EMAIL_ADDRESS'], 'a@', 'nothing'),
  input('almost emails', ['EMAIL_ADDRESS'], 'a.b.c.d@e', 'nothing'),
  flood('emails', 'EMAIL_ADDRESS', 'joe.bloggs@example.com'),
  input('PEM BEGIN, no END', ['PRIVATE_KEY'], '-----BEGIN PRIVATE KEY-----'),
  flood('PEM blocks', 'PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----', '\n'),
  input('JWT prefixes', ['JWT'], 'eyJ', 'nothing'),
  input('JWT-ish', ['JWT'], 'eyJaaaaaaaaaa.'),
  flood('JWTs', 'JWT', join('eyJhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.abcdefghijklmnop')),
  input('equals', ['PASSWORD_ASSIGNMENT', 'AWS_SECRET_KEY'], '=', 'nothing'),
  input('password=', ['PASSWORD_ASSIGNMENT'], 'password='),
  input('password: "', ['PASSWORD_ASSIGNMENT'], 'password: "'),
  input('key=', ['PASSWORD_ASSIGNMENT', 'AWS_SECRET_KEY'], 'key=', 'nothing'),
  input('AWS secret names', ['AWS_SECRET_KEY'], 'aws_secret_access_key='),
  flood('AWS secrets', 'AWS_SECRET_KEY', AWS_SECRET, '\n', 'aws_secret_access_key='),
  input('AWS key id prefixes', ['AWS_ACCESS_KEY'], 'AKIA', 'nothing'),
  flood('AWS key ids', 'AWS_ACCESS_KEY', join('AKIA', 'IOSFODNN7EXAMPLE')),
  input('URL userinfo', ['CONNECTION_STRING_PASSWORD'], '://a:b@', 'nothing'),
  input('token prefixes', ['GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'OPENAI_API_KEY', 'AWS_ACCESS_KEY'], 'ghp_sk-xoxb-glpat-AKIA'),
  flood('GitHub tokens', 'GITHUB_TOKEN', join('ghp_', ALNUM_36)),
  input('Slack webhook prefixes', ['SLACK_TOKEN'], 'https://hooks.slack.com/services/T', 'nothing'),
  input('Stripe prefixes', ['STRIPE_KEY'], 'sk_live_', 'nothing'),
  input('Google prefixes', ['GOOGLE_API_KEY'], 'AIza', 'nothing'),
  input('Anthropic prefixes', ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'], 'sk-ant-', 'nothing'),
  input('long OpenAI-like keys', ['OPENAI_API_KEY'], `x sk-${'a'.repeat(500)}`),
  input('base64', ['JWT', 'AWS_SECRET_KEY', 'CREDIT_CARD'], 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTExMTExMTExMTExMTEx', 'nothing'),
];
