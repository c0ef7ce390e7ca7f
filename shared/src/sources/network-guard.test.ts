import { describe, expect, test } from '@jest/globals';
import { assertHostAllowed, isBlockedAddress } from './network-guard.js';

describe('the network guard', () => {
  test.each(['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254', '::ffff:169.254.169.254'])('%s is blocked', (a) => {
    expect(isBlockedAddress(a)).toBe(true);
  });

  test.each(['127.0.0.1', '10.0.0.5', '192.168.1.1', '::1', 'fd00:ec2::253', '8.8.8.8'])('%s is allowed', (a) => {
    expect(isBlockedAddress(a)).toBe(false);
  });

  test('a metadata address given as the host is refused with invalid_config and a hint', async () => {
    await expect(assertHostAllowed('169.254.169.254')).rejects.toMatchObject({ code: 'invalid_config', hint: expect.stringContaining('ALLOW_LINK_LOCAL_SOURCES') });
    await expect(assertHostAllowed('[fe80::1]')).rejects.toMatchObject({ code: 'invalid_config' });
  });

  test('a name that resolves to a normal address passes, and the operator can allow link-local', async () => {
    await expect(assertHostAllowed('localhost')).resolves.toBeUndefined();
    await expect(assertHostAllowed('169.254.169.254', { allowLinkLocal: true })).resolves.toBeUndefined();
  });
});
