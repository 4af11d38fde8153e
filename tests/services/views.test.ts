import { describe, expect, it } from 'vitest';
import type { DetailedError } from '../../src/errors.js';
import { assertCoordinates, assertTimeZone, isValidTimeZone } from '../../src/services/validate.js';
import { deviceEtag, isStale } from '../../src/services/views.js';
import { expectedVersion } from '../../src/services/devices.js';

describe('isStale', () => {
  it('When the last reading is exactly three intervals old, then it is fresh; a millisecond later, stale', () => {
    const now = 1_000_000_000;
    expect(isStale(now - 180_000, 60, now)).toBe(false);
    expect(isStale(now - 180_001, 60, now)).toBe(true);
    expect(isStale(now - 2_700_000, 900, now)).toBe(false);
  });
});

describe('ETags and If-Match', () => {
  it('When a device has version 3, then its ETag is "v3" and If-Match of it (weak or strong) expects 3', () => {
    expect(deviceEtag({ version: 3 })).toBe('"v3"');
    expect(expectedVersion('"v3"')).toBe(3);
    expect(expectedVersion('W/"v3"')).toBe(3);
    expect(expectedVersion(' "v3" ')).toBe(3);
  });

  it('When If-Match is absent or *, then any version is accepted; garbage never matches a real version', () => {
    expect(expectedVersion(undefined)).toBeUndefined();
    expect(expectedVersion('*')).toBeUndefined();
    for (const garbage of ['v3', '"3"', '"v"', '"v3', '', '"v-1"']) expect(expectedVersion(garbage), garbage).toBe(-1);
  });
});

describe('time zones and coordinates', () => {
  it('When a zone is an IANA name, then it is valid; made-up names are refused with the field path', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    const refused = (() => {
      try {
        assertTimeZone('Mars/Olympus');
      } catch (err) {
        return err as DetailedError;
      }
    })();
    expect(refused).toMatchObject({ statusCode: 422, errors: [{ path: '/timezone', message: expect.stringMatching(/Unknown time zone "Mars\/Olympus"/) }] });
    expect(() => assertTimeZone(undefined)).not.toThrow();
  });

  it('When only one coordinate is set, then it is refused; both or neither are fine', () => {
    expect(() => assertCoordinates({ latitude: 1, longitude: null })).toThrow();
    expect(() => assertCoordinates({ latitude: null, longitude: 1 })).toThrow();
    expect(() => assertCoordinates({ latitude: 1, longitude: 2 })).not.toThrow();
    expect(() => assertCoordinates({ latitude: null, longitude: null })).not.toThrow();
    expect(() => assertCoordinates({})).not.toThrow();
  });
});
