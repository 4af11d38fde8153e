import { describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import {
  accessTo,
  canManageDevices,
  canView,
  requireAdmin,
  requireManageDevices,
  requireSiteAdmin,
  requireView,
  type Actor,
} from '../../src/services/policy.js';

const actor = (isAdmin: boolean, roles: [string, 'viewer' | 'technician'][] = []): Actor => ({
  id: 'usr_1',
  email: 'a@example.com',
  name: 'A',
  isAdmin,
  roles: new Map(roles),
});
const admin = actor(true);
const technician = actor(false, [['site_a', 'technician']]);
const viewer = actor(false, [['site_a', 'viewer']]);
const outsider = actor(false, [['site_b', 'technician']]);
const notFound = () => new errors.DEVICE_NOT_FOUND();

describe('accessTo', () => {
  it('When each role asks about site_a, then admins are admin everywhere, members get their role, others null', () => {
    expect([admin, technician, viewer, outsider].map((a) => accessTo(a, 'site_a'))).toEqual([
      'admin',
      'technician',
      'viewer',
      null,
    ]);
    expect(accessTo(admin, 'site_that_does_not_exist')).toBe('admin');
  });

  it('When a role is on one site, then it grants nothing on another', () => {
    expect(canView(technician, 'site_b')).toBe(false);
    expect(canManageDevices(outsider, 'site_a')).toBe(false);
    expect(canManageDevices(outsider, 'site_b')).toBe(true);
  });
});

describe('requireView', () => {
  it("When the site is invisible or unknown, then the caller's own not-found error is thrown", () => {
    expect(() => requireView(outsider, 'site_a', notFound)).toThrow(errors.DEVICE_NOT_FOUND);
    expect(() => requireView(admin, undefined, notFound)).toThrow(errors.DEVICE_NOT_FOUND);
    expect(() => requireView(viewer, 'site_a', notFound)).not.toThrow();
  });
});

describe('requireManageDevices', () => {
  it('When a viewer writes, then 403; when a non-member writes, then the 404 (never a 403 that reveals the site)', () => {
    expect(() => requireManageDevices(viewer, 'site_a', notFound, 'add devices')).toThrow(errors.FORBIDDEN);
    expect(() => requireManageDevices(outsider, 'site_a', notFound, 'add devices')).toThrow(errors.DEVICE_NOT_FOUND);
    expect(() => requireManageDevices(technician, 'site_a', notFound, 'add devices')).not.toThrow();
    expect(() => requireManageDevices(admin, 'site_a', notFound, 'add devices')).not.toThrow();
  });

  it('When the 403 is thrown, then its message says what was refused', () => {
    expect(() => requireManageDevices(viewer, 'site_a', notFound, 'add devices to this site')).toThrow(
      'You are not allowed to add devices to this site',
    );
  });
});

describe('requireSiteAdmin and requireAdmin', () => {
  it('When members administer a site, then 403; non-members get SITE_NOT_FOUND; admins pass', () => {
    expect(() => requireSiteAdmin(technician, 'site_a', 'manage members')).toThrow(errors.FORBIDDEN);
    expect(() => requireSiteAdmin(viewer, 'site_a', 'manage members')).toThrow(errors.FORBIDDEN);
    expect(() => requireSiteAdmin(outsider, 'site_a', 'manage members')).toThrow(errors.SITE_NOT_FOUND);
    expect(() => requireSiteAdmin(admin, 'site_a', 'manage members')).not.toThrow();
  });

  it('When a non-admin does admin-only work, then 403 whatever their roles', () => {
    for (const a of [technician, viewer, outsider])
      expect(() => requireAdmin(a, 'list users')).toThrow(errors.FORBIDDEN);
    expect(() => requireAdmin(admin, 'list users')).not.toThrow();
  });
});
