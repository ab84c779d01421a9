import { LaunchRequest } from '../providers/types';

/** A launch request for provider tests that call trigger* directly (the controller makes real ones). */
export function testLaunch(
  launchID = 'test-uid-provision-0001',
): LaunchRequest {
  return { launchID, intendedAt: '2026-01-01T00:00:00.000Z' };
}
