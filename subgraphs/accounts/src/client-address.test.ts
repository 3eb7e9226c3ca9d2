import { CLIENT_ADDRESS_HEADER, clientAddressFrom } from './client-address.ts';

const from = (value: string | string[] | undefined) => clientAddressFrom({ [CLIENT_ADDRESS_HEADER]: value });

describe('the client address the router sends', () => {
  it('keeps IPv4 addresses, unwrapping IPv4-mapped IPv6', () => {
    expect(from('203.0.113.7')).toBe('203.0.113.7');
    expect(from(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(from('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(from(['198.51.100.1', '203.0.113.7'])).toBe('198.51.100.1');
  });

  it('counts IPv6 by /64, the block one subscriber gets', () => {
    expect(from('2001:db8:aa:bb::1')).toBe('2001:db8:aa:bb::/64');
    expect(from('2001:0db8:00aa:00bb:ffff:1:2:3')).toBe('2001:db8:aa:bb::/64');
    expect(from('2001:DB8:AA:BB::')).toBe('2001:db8:aa:bb::/64');
    expect(from('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(from('::1')).toBe('0:0:0:0::/64');
    expect(from('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(from('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
  });

  it('ignores a missing or malformed header', () => {
    expect(clientAddressFrom({})).toBeUndefined();
    expect(from('')).toBeUndefined();
    expect(from('unknown')).toBeUndefined();
    expect(from('203.0.113.7, 198.51.100.1')).toBeUndefined();
    expect(from('203.0.113.256')).toBeUndefined();
  });
});
