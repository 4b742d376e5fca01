import { startEverything } from '../../helpers/peers.ts';
import { describeConformance } from './compare.ts';

/**
 * The MCP conformance suite against server-everything (Streamable HTTP), directly and through
 * mcp-warden in the same run. Scenarios that need the suite's own test tools fail on both; the
 * bare server fails DNS rebinding, mcp-warden passes it. About 3-5 s per target.
 */
describeConformance('server-everything', () => startEverything('streamableHttp'), {
  mustPass: ['server-initialize', 'ping', 'tools-list', 'tools-call-simple-text', 'tools-call-error', 'resources-list', 'prompts-list', 'logging-set-level', 'server-sse-multiple-streams'],
  minPassed: 13,
});
