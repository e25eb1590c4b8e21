import { describe, expect, it } from 'vitest';
import { clientKey } from '../../../src/leedz/functions/client-address.js';

describe('what a limit per client counts by', () => {
  it('is an IPv4 address as it is, however it was written', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it("is an IPv6 address's /64 network, the same for every address a subscriber may pick in it", () => {
    const network = '2001:db8:1:2::/64';
    for (const address of ['2001:db8:1:2::1', '2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:DB8:1:2:FFFF::', '2001:db8:1:2:0:0:0:0', 'fe80::1%eth0'.replace('fe80::', '2001:db8:1:2::')]) {
      expect(clientKey(address), address).toBe(network);
    }
    expect(clientKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientKey('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
  });

  it('leaves what is not an address alone', () => {
    expect(clientKey('unknown')).toBe('unknown');
  });
});
