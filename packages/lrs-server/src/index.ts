export { createApp, type AppOptions } from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { openStore, migrate, type Store, type Db } from './db/index.js';
export { startServer, type RunningServer } from './server.js';
export { createClient, ensureTenant, DEFAULT_TENANT } from './auth/clients.js';
export { seedDemo, DEMO } from './seed.js';
export { HttpError } from './http-error.js';
