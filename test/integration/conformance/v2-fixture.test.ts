import { startV2Fixture } from '../../helpers/peers.ts';
import { describeConformance } from './compare.ts';

/**
 * The MCP conformance suite against the SDK v2 fixture (createMcpHandler, both eras, with the
 * suite's test_* tools), directly and through mcp-warden in the same run.
 */
describeConformance('SDK v2 fixture', () => startV2Fixture(), {
  mustPass: ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'tools-call-simple-text', 'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content', 'tools-call-error', 'tools-call-with-logging', 'tools-call-with-progress'],
  minPassed: 13,
});
