import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { openDatabase, SchemaTooNewError } from './open-database.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config),
        // A database starting alongside the service gets a few seconds; then the service stops
        // and says why, rather than retrying where nobody sees it.
        retryAttempts: 4,
        retryDelay: 1000,
        toRetry: (error: unknown) => !(error instanceof SchemaTooNewError),
      }),
      dataSourceFactory: (options) => openDatabase(options as DataSourceOptions),
    }),
  ],
})
export class DatabaseModule {}
