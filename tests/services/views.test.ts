import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetailedError } from '../../src/errors.js';
import { assertCoordinates, assertTimeZone, isValidTimeZone } from '../../src/services/validate.js';
import { deviceEtag, isStale, iso } from '../../src/services/views.js';
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
    expect(refused).toMatchObject({
      statusCode: 422,
      errors: [{ path: '/timezone', message: expect.stringMatching(/Unknown time zone "Mars\/Olympus"/) }],
    });
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

describe('iso', () => {
  it('When any instant from year 0 to 275760 is formatted, then the text is exactly what Date#toISOString writes', () => {
    const instant = fc.oneof(
      fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), // years 0000–9999, the fast path
      fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), // Date's whole range
      fc.constantFrom(
        0,
        -1,
        951_782_400_000,
        951_868_799_999,
        4_107_542_400_000,
        253_402_300_799_999,
        253_402_300_800_000,
        -62_167_219_200_000,
        -62_167_219_200_001,
      ),
    );
    fc.assert(
      fc.property(instant, (ms) => iso(ms) === new Date(ms).toISOString()),
      { numRuns: 20_000 },
    );
  });

  it('When the instant is not an integer, then it is formatted like Date does (milliseconds truncated)', () => {
    expect(iso(1.9)).toBe('1970-01-01T00:00:00.001Z');
    expect(iso(-0.5)).toBe(new Date(-0.5).toISOString());
  });
});
