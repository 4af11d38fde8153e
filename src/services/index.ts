import type { Repositories } from '../db/repositories/index.js';
import { authService } from './auth.js';
import { devicesService } from './devices.js';
import { metricsService } from './metrics.js';
import { sitesService } from './sites.js';
import { usersService } from './users.js';

export function createServices(repos: Repositories) {
  return {
    auth: authService(repos),
    users: usersService(repos),
    sites: sitesService(repos),
    devices: devicesService(repos),
    metrics: metricsService(repos),
  };
}

export type Services = ReturnType<typeof createServices>;
