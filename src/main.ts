import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { closeGracefullyOnSignals } from './graceful-shutdown.js';
import { DatabaseStartupError } from './database/open-database.js';

async function bootstrap(): Promise<void> {
  try {
    loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // Start-up lines wait for the JSON logger, which configureApp installs. Without abortOnError: false
  // Nest exits on its own, before the cause can be told plainly.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  await configureApp(app);
  const config = app.get(AppConfig);
  closeGracefullyOnSignals(app, config.shutdownTimeoutMs);
  await app.listen(config.port);
  new Logger('Bootstrap').log(`Listening on ${config.publicUrl} (port ${config.port}); API docs at /docs`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof DatabaseStartupError) {
    console.error(`Not starting: ${error.message}`);
    process.exit(69); // EX_UNAVAILABLE
  }
  console.error(error);
  process.exit(1);
});
