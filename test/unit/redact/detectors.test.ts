import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DETECTORS } from '../../../src/redact/detectors/index.ts';
import { Scanner } from '../../../src/redact/scanner.ts';
import { BUILTIN_ENTITY_TYPES } from '../../../src/redact/entity-types.ts';
import { cardNumberValid, ibanChecksumValid, luhnValid, ssnValid } from '../../../src/redact/detectors/checksums.ts';

const scanner = new Scanner(BUILTIN_DETECTORS);

/** The values of `text` the scanner reports, as [type, value] pairs. */
function found(text: string): [string, string][] {
  return scanner.scan(text).map((f) => [f.type, text.slice(f.start, f.end)]);
}

function assertFinds(text: string, type: string, value: string): void {
  assert.deepEqual(found(text), [[type, value]], `in ${JSON.stringify(text)}`);
}

function assertClean(text: string): void {
  assert.deepEqual(found(text), [], `in ${JSON.stringify(text)}`);
}

// Synthetic credentials are assembled at run time so that secret scanners do not flag this file.
const fake = (...parts: string[]) => parts.join('');
const alnum = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => 'aZ3kQ9xPm2Lb7RtYw5VnC8dE'[(i * seed + 3) % 24]).join('');

describe('entity types', () => {
  it('every built-in type has exactly one detector and BUILTIN_ENTITY_TYPES lists them all', () => {
    assert.deepEqual([...new Set(BUILTIN_DETECTORS.map((d) => d.type))].sort(), [...BUILTIN_ENTITY_TYPES].sort());
  });
});

describe('checksums', () => {
  it('Luhn, card prefixes and lengths', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(cardNumberValid('4111111111111111'), true);
    assert.equal(cardNumberValid('378282246310005'), true); // Amex test number
    assert.equal(cardNumberValid('5555555555554444'), true);
    assert.equal(cardNumberValid('7111111111111117'), false); // Luhn-valid, no issuer starts with 7
    assert.equal(cardNumberValid('41111111111111'), false); // Visa is 13, 16 or 19 digits
  });
  it('IBAN mod 97', () => {
    assert.equal(ibanChecksumValid('GB82WEST12345698765432'), true);
    assert.equal(ibanChecksumValid('GB83WEST12345698765432'), false);
    assert.equal(ibanChecksumValid('DE89370400440532013000'), true);
  });
  it('SSN never-issued ranges', () => {
    assert.equal(ssnValid('123', '45', '6789'), true);
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000']]) {
      assert.equal(ssnValid(a as string, g as string, s as string), false, `${a}-${g}-${s}`);
    }
  });
});

describe('PII detectors', () => {
  it('email addresses', () => {
    assertFinds('write to jane.doe+mcp@mail.example.co.uk.', 'EMAIL_ADDRESS', 'jane.doe+mcp@mail.example.co.uk');
    assertClean('git@github.com:org/repo.git');
    assertClean('ssh://git@github.com/org/repo.git');
    assertClean('npm i zod@4.1.12 @types/node');
    assertClean('user@localhost');
  });

  it('card numbers: contiguous, spaced, dashed; not Luhn failures, versions or hashes', () => {
    assertFinds('card 4111111111111111 exp 12/29', 'CREDIT_CARD', '4111111111111111');
    assertFinds('card 4111 1111 1111 1111.', 'CREDIT_CARD', '4111 1111 1111 1111');
    assertFinds('amex 3782-822463-10005', 'CREDIT_CARD', '3782-822463-10005');
    assertClean('card 4111 1111 1111 1112');
    assertClean('4111-1111 1111-1111'); // mixed separators
    assertClean('id a4111111111111111b');
    assertClean('v4111111111111111.2');
  });

  it('a card number right after another number is still found (the first group must be 3+ digits)', () => {
    assertFinds('ref 12 4111 1111 1111 1111', 'CREDIT_CARD', '4111 1111 1111 1111');
    assert.deepEqual(found('2001:db8::1 378282246310005'), [['IP_ADDRESS', '2001:db8::1'], ['CREDIT_CARD', '378282246310005']]);
  });

  it('IBAN, printed or compact, any case; not with a wrong check or length', () => {
    assertFinds('IBAN: GB82 WEST 1234 5698 7654 32 please', 'IBAN_CODE', 'GB82 WEST 1234 5698 7654 32');
    assertFinds('pay DE89370400440532013000', 'IBAN_CODE', 'DE89370400440532013000');
    assertFinds('gb82west12345698765432', 'IBAN_CODE', 'gb82west12345698765432');
    assertClean('GB83WEST12345698765432');
    assertClean('GB82WEST1234569876543');
  });

  it('IBANs one after another are all found (the scan resumes where each IBAN ends)', () => {
    assert.deepEqual(found('GB82 WEST 1234 5698 7654 32 DE89 3704 0044 0532 0130 00'), [
      ['IBAN_CODE', 'GB82 WEST 1234 5698 7654 32'],
      ['IBAN_CODE', 'DE89 3704 0044 0532 0130 00'],
    ]);
  });

  it('US SSN, not impossible ranges', () => {
    assertFinds('SSN 078-05-1121 on file', 'US_SSN', '078-05-1121');
    assertFinds('ssn: 123 45 6789', 'US_SSN', '123 45 6789');
    assertClean('000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000');
    assertClean('123-45 6789');
  });

  it('US SSN as nine bare digits only after an SSN word, and not impossible ranges', () => {
    assertFinds('SSN 536904555', 'US_SSN', '536904555');
    assertFinds('social security number: 536904555', 'US_SSN', '536904555');
    assertFinds('My Social Security No. is 536904555.', 'US_SSN', '536904555');
    assertFinds('{"ssn": "536904555"}', 'US_SSN', '536904555');
    assertFinds('customer_ssn=536904555', 'US_SSN', '536904555');
    assertFinds('socialSecurityNumber: 536904555', 'US_SSN', '536904555');
    assertFinds('SS# 536904555', 'US_SSN', '536904555');
    assertClean('536904555');
    assertClean('order 536904555 shipped');
    assertClean('ssn\n536904555'); // another line
    assertClean('SSN on file; ticket 536904555'); // another value in between
    assertClean('ssn: 1 of 2, ref 536904555');
    assertClean('the SSN field is required by the form validator, id 536904555'); // too far
    assertClean('classnames 536904555'); // not a word of its own
    assertClean('ssn 000123456 ssn 666123456 ssn 912345678 ssn 123006789 ssn 123450000');
    assertClean('SSN 1234567890 SSN 12345678');
  });

  it('IPv4 and IPv6, compressed and embedded; not versions, OIDs or loopback', () => {
    assertFinds('client 203.0.113.42 connected', 'IP_ADDRESS', '203.0.113.42');
    assertFinds('peer 10.1.2.3:8443', 'IP_ADDRESS', '10.1.2.3');
    assertFinds('from 2001:db8::8a2e:370:7334.', 'IP_ADDRESS', '2001:db8::8a2e:370:7334');
    assertFinds('[fe80::1ff:fe23:4567:890a]:80', 'IP_ADDRESS', 'fe80::1ff:fe23:4567:890a');
    assertFinds('mapped ::ffff:192.0.2.128 ok', 'IP_ADDRESS', '::ffff:192.0.2.128');
    assertFinds('full 2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'IP_ADDRESS', '2001:0db8:85a3:0000:0000:8a2e:0370:7334');
    assertClean('version 10.0.19041.1 and Chrome/124.0.0.0');
    assertClean('OID 1.3.6.1.4.1.311 and 256.1.1.1');
    assertClean('127.0.0.1:8080 0.0.0.0 ::1 std::vector 12:30:45');
  });

  it('phone numbers: international and North American forms alone, national forms with a phone word', () => {
    assertFinds('reach +44 20 7946 0958 today', 'PHONE_NUMBER', '+44 20 7946 0958');
    assertFinds('+41 (0)96 471 07 95', 'PHONE_NUMBER', '+41 (0)96 471 07 95');
    assertFinds('see (415) 555-2671 x204', 'PHONE_NUMBER', '(415) 555-2671 x204');
    assertFinds('1-800-555-0199', 'PHONE_NUMBER', '1-800-555-0199');
    assertFinds('Phone: 0490 75 40 81', 'PHONE_NUMBER', '0490 75 40 81');
    assertFinds('Can someone call me on 9472 7916?', 'PHONE_NUMBER', '9472 7916');
    assertClean('0490 75 40 81');
    assertClean('released 2024-01-15 10:20, build 1234567');
    assertClean('phone me on 2024-01-15');
  });
});

describe('secret detectors', () => {
  const cases: [string, string, string][] = [
    ['AWS_ACCESS_KEY', 'aws_access_key_id = AKIA', fake('AKIA', 'IOSFODNN7EXAMPLE')],
    ['GITHUB_TOKEN', 'token ', fake('ghp_', alnum(36))],
    ['GITHUB_TOKEN', 'token ', fake('github_pat_', alnum(22), '_', alnum(59, 5))],
    ['GITLAB_TOKEN', '', fake('glpat-', alnum(20))],
    ['SLACK_TOKEN', 'bot ', fake('xoxb-', '1234567890-1234567890123-', alnum(24))],
    ['STRIPE_KEY', '', fake('sk_live_', alnum(24))],
    ['STRIPE_KEY', '', fake('rk_live_', alnum(24))],
    ['GOOGLE_API_KEY', 'key=', fake('AIza', alnum(35))],
    ['OPENAI_API_KEY', 'OPENAI ', fake('sk-proj-', alnum(48))],
    ['OPENAI_API_KEY', '', fake('sk-', alnum(48))],
    ['ANTHROPIC_API_KEY', '', fake('sk-ant-api03-', alnum(93), 'AA')],
    ['JWT', 'Bearer ', fake('eyJhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiJhbGljZSJ9', '.', alnum(43))],
  ];
  for (const [type, prefix, value] of cases) {
    it(`${type}: ${value.slice(0, 12)}…`, () => {
      const text = `${prefix === 'aws_access_key_id = AKIA' ? 'aws_access_key_id = ' : prefix}${value} end`;
      assertFinds(text, type, value);
      assertClean(`${value.slice(0, Math.min(value.length - 1, 10))} end`); // prefix alone
    });
  }

  it('AWS secret keys only next to their name', () => {
    const secret = fake('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
    assertFinds(`aws_secret_access_key = ${secret}`, 'AWS_SECRET_KEY', secret);
    assertFinds(`"AWS_SECRET_ACCESS_KEY": "${secret}"`, 'AWS_SECRET_KEY', secret);
    assertClean(`checksum ${secret}`);
  });

  it('PEM private keys, whole block; a truncated block up to where it stops; not public keys', () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA${alnum(60)}\n${alnum(64)}==\n-----END RSA PRIVATE KEY-----`;
    assertFinds(`key:\n${pem}\nthanks`, 'PRIVATE_KEY', pem);
    const openssh = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE${alnum(40)}\n-----END OPENSSH PRIVATE KEY-----`;
    assertFinds(openssh, 'PRIVATE_KEY', openssh);
    const truncated = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${alnum(40)}`;
    assertFinds(`${truncated}`, 'PRIVATE_KEY', truncated);
    assertClean(`-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A${alnum(40)}\n-----END PUBLIC KEY-----`);
  });

  it('connection strings: only the password', () => {
    assertFinds('DATABASE_URL=postgres://app:s3cr3t-pw@db.internal:5432/app', 'CONNECTION_STRING_PASSWORD', 's3cr3t-pw');
    assertFinds('mongodb+srv://admin:hunter2@cluster0.example.net/test', 'CONNECTION_STRING_PASSWORD', 'hunter2');
    assertClean('postgres://app@db.internal:5432/app');
    assertClean('postgres://app:${DB_PASSWORD}@db/app');
    assertClean('https://example.com:8443/path');
  });

  it('password=/api_key:/secret: assignments, not placeholders or code', () => {
    assertFinds('password=hunter2!', 'PASSWORD_ASSIGNMENT', 'hunter2!');
    assertFinds('DB_PASSWORD: "correct horse battery staple"', 'PASSWORD_ASSIGNMENT', 'correct horse battery staple');
    assertFinds('{"api_key": "k-12345678"}', 'PASSWORD_ASSIGNMENT', 'k-12345678');
    assertFinds('secret: abc123def', 'PASSWORD_ASSIGNMENT', 'abc123def');
    assertFinds('GET /cb?token=f9a8b7c6d5e4', 'PASSWORD_ASSIGNMENT', 'f9a8b7c6d5e4');
    assertClean('password: string');
    assertClean('const password = config.password;');
    assertClean('api_key = process.env.OPENAI_API_KEY');
    assertClean('password: ${DB_PASSWORD}');
    assertClean('secret: "<redacted>"');
    assertClean('max_token=4096');
  });

  it('assignment names in any case and spelling, quoted, up to four spaces before the operator', () => {
    assertFinds('Api-Key: 9f8e7d6c5b4a', 'PASSWORD_ASSIGNMENT', '9f8e7d6c5b4a');
    assertFinds('PRIVATE_KEY=9f8e7d6c5b4a', 'PASSWORD_ASSIGNMENT', '9f8e7d6c5b4a');
    assertFinds('refresh-token: abcdefgh12', 'PASSWORD_ASSIGNMENT', 'abcdefgh12');
    assertFinds('"Password" :    "x y z"', 'PASSWORD_ASSIGNMENT', 'x y z');
    assertFinds('x:=y password := hunter22', 'PASSWORD_ASSIGNMENT', 'hunter22');
    assertFinds('my_password=hunter22', 'PASSWORD_ASSIGNMENT', 'hunter22');
    assert.deepEqual(found('password=abc123 and PWD=xyz987'), [['PASSWORD_ASSIGNMENT', 'abc123'], ['PASSWORD_ASSIGNMENT', 'xyz987']]);
    assertClean('password     = hunter22'); // five spaces
    assertClean('mypassword=hunter22'); // not a word of its own
    const secret = fake('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
    assertFinds(`MY_AWS_SECRET=${secret}`, 'AWS_SECRET_KEY', secret);
    assertFinds(`awsSecretKey: "${secret}"`, 'AWS_SECRET_KEY', secret);
    assertFinds(`SecretAccessKey=${secret}`, 'AWS_SECRET_KEY', secret);
  });

  it('a secret wins over PII it contains', () => {
    assert.deepEqual(found('password=4111111111111111').map(([t]) => t), ['PASSWORD_ASSIGNMENT']);
  });
});
