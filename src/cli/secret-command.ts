import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seal } from '../secrets/secret-box.ts';
import { generateSecretKey, loadSecretKey } from '../secrets/secret-key.ts';
import { isSecretName, readSecretsFile, writeSecretsFile } from '../secrets/secrets-file.ts';

const HELP = `mcp-warden secret — credentials at rest, referenced as \${secret:NAME} in the config

  mcp-warden secret keygen
      prints a new 32-byte key (base64) for WARDEN_SECRET_KEY or the file WARDEN_SECRET_KEY_FILE names
  mcp-warden secret encrypt --name NAME [--file secrets.enc.yaml]  < plaintext
      AES-256-GCM with the key from WARDEN_SECRET_KEY / WARDEN_SECRET_KEY_FILE; the plaintext is read
      from stdin (one trailing newline dropped). With --file the sealed value is stored there under
      NAME; without, it is printed.
  mcp-warden secret list --file secrets.enc.yaml

mcp-warden serve finds the secrets file in WARDEN_SECRETS_FILE, else secrets.enc.yaml next to the config.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function runSecretCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, file: { type: 'string' } }, strict: true });
  switch (sub) {
    case 'keygen':
      process.stdout.write(`${generateSecretKey()}\n`);
      return 0;
    case 'encrypt': {
      if (values.name === undefined || !isSecretName(values.name)) {
        process.stderr.write('mcp-warden secret encrypt: --name NAME is required (letters, digits, _ . -)\n');
        return 2;
      }
      let key: Buffer;
      try {
        key = loadSecretKey();
      } catch (err) {
        process.stderr.write(`mcp-warden secret encrypt: ${(err as Error).message}\n`);
        return 2;
      }
      const plaintext = await readStdin();
      if (plaintext === '') {
        process.stderr.write('mcp-warden secret encrypt: nothing on stdin\n');
        return 2;
      }
      const sealed = seal(values.name, plaintext, key);
      if (values.file === undefined) {
        process.stdout.write(`${sealed}\n`);
      } else {
        const file = resolve(values.file);
        writeSecretsFile(file, { ...readSecretsFile(file), [values.name]: sealed });
        process.stderr.write(`stored ${values.name} in ${file}\n`);
      }
      process.stderr.write(`reference it in the config as \${secret:${values.name}}\n`);
      return 0;
    }
    case 'list': {
      if (values.file === undefined) {
        process.stderr.write('mcp-warden secret list: --file is required\n');
        return 2;
      }
      for (const name of Object.keys(readSecretsFile(resolve(values.file)))) process.stdout.write(`${name}\n`);
      return 0;
    }
    default:
      process.stdout.write(HELP);
      return sub === undefined || sub === '--help' || sub === 'help' ? 0 : 2;
  }
}
