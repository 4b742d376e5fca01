import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/schema.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { SessionGuard, UpstreamCredentials } from '../pipeline/authenticator.ts';
import type { MessageProcessor } from './message-processor.ts';

/** What every transport handler of one upstream needs; built once at start-up. */
export interface RouteContext {
  readonly upstream: UpstreamConfig;
  readonly processor: MessageProcessor;
  readonly sessionGuard: SessionGuard;
  readonly credentials: UpstreamCredentials;
  readonly audit: AuditPort;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
}
