import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** The DataSource the TypeORM CLI uses (`npm run migration:generate`, `npm run migration:run`). */
export default new DataSource({ ...buildDataSourceOptions(loadConfig()), migrationsRun: false });
