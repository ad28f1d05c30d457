import { describe, expect, it } from 'vitest';
import { isSpecialAddress, parseAllowList } from './outbound.js';

describe('which addresses are public', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '10.1.2.3', '100.64.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.1', '192.0.2.5',
    '192.168.0.1', '198.18.0.1', '198.51.100.1', '203.0.113.9', '224.0.0.1', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:8.8.8.8', '::7f00:1', '64:ff9b::7f00:1', '100::1', '2001:db8::1', '2001::1', '2002:7f00:1::',
    'fc00::1', 'fd12:3456::1', 'fe80::1', 'fec0::1', 'ff02::1', '200::1', 'not-an-address',
  ])('%s is not', (address) => {
    expect(isSpecialAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])('%s is', (address) => {
    expect(isSpecialAddress(address)).toBe(false);
  });
});

describe('XCREDIT_LTI_ALLOW_PRIVATE_HOSTS', () => {
  it('takes host names, addresses and CIDR ranges, separated by commas or spaces', () => {
    const parsed = parseAllowList('127.0.0.1, [::1] lms.internal.,10.0.0.0/8 fd00::/8');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.policy.hosts]).toEqual(['lms.internal']);
    expect(parsed.policy.addresses.check('127.0.0.1', 'ipv4')).toBe(true);
    expect(parsed.policy.addresses.check('127.0.0.2', 'ipv4')).toBe(false);
    expect(parsed.policy.addresses.check('::1', 'ipv6')).toBe(true);
    expect(parsed.policy.addresses.check('10.200.3.4', 'ipv4')).toBe(true);
    expect(parsed.policy.addresses.check('fd00::5', 'ipv6')).toBe(true);
  });

  it.each(['10.0.0.0/33', '10.0.0.0/8/1', 'lms.example.com/8', 'http://lms.example.com', 'lms_!', '::1/129'])('refuses %s', (entry) => {
    const parsed = parseAllowList(entry);
    expect(parsed).toMatchObject({ ok: false, error: expect.stringContaining(entry) });
  });
});
