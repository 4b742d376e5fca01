import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * JSON logs (pino). Every line about a message carries its decision id (`decision_id`), through a
 * child logger made per message only when a line is actually written. Credentials never go into a
 * log line: the redact paths below are a second line of defence, not the first.
 */
export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mcp-warden' },
      redact: {
        paths: ['headers.authorization', 'headers.cookie', 'headers["x-api-key"]', 'req.headers.authorization', 'token', 'apiKey'],
        censor: '[REDACTED]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
