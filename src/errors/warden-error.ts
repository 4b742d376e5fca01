import { ERRORS, type ErrorCode } from './catalogue.ts';

/**
 * A refusal with a stable code. `detail` is for logs only (never sent to clients, since it may name
 * a hidden tool or an internal address); `data` is safe to send to the client.
 */
export class WardenError extends Error {
  readonly code: ErrorCode;
  readonly jsonrpcCode: number;
  readonly httpStatus: number;
  readonly detail: string | undefined;
  readonly data: unknown;

  constructor(code: ErrorCode, options: { detail?: string; data?: unknown; cause?: unknown } = {}) {
    const spec = ERRORS[code];
    super(spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WardenError';
    this.code = code;
    this.jsonrpcCode = spec.jsonrpcCode;
    this.httpStatus = spec.httpStatus;
    this.detail = options.detail;
    this.data = options.data;
  }

  /** The JSON-RPC `error` member sent to clients: the catalogue message and the stable code. */
  toJsonRpcError(): { code: number; message: string; data: { warden_code: ErrorCode } & Record<string, unknown> } {
    const extra = typeof this.data === 'object' && this.data !== null ? (this.data as Record<string, unknown>) : {};
    return { code: this.jsonrpcCode, message: this.message, data: { ...extra, warden_code: this.code } };
  }
}

export function isWardenError(value: unknown): value is WardenError {
  return value instanceof WardenError;
}
