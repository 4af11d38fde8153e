import type { App } from './app.js';
import { seedDemo } from './seed/demo.js';

/** What the real server does after building and before listening: demo data, later the simulator. */
export async function startBackground(app: App): Promise<void> {
  if (app.config.demo) {
    const seeded = await seedDemo(app.repos, app.config.demoPassword, app.log);
    // The demo credentials are meant to be seen (issue #2); only ever in demo mode.
    if (seeded) app.log.info(`Demo accounts: admin@example.com, tech@example.com, viewer@example.com (password "${app.config.demoPassword}")`);
    else app.log.info('Demo mode: the database already has data; demo accounts unchanged');
  }
}
