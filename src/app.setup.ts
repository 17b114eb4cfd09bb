import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ANONYMOUS_REQUIREMENT } from './common/public.decorator.js';
import { AppConfig } from './config/app-config.js';
import metadata from './metadata.js';

/** Everything main.ts does to the app besides listening, so tests run the same application. */
export async function configureApp(app: NestExpressApplication): Promise<void> {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Weak ETags hash every JSON body; API clients here do not revalidate, so spare the work.
  app.set('etag', false);
  if (!config.apiEnabled) {
    app.use(operationsEndpointsOnly);
    return;
  }
  app.useBodyParser('json', { limit: config.maxBodyBytes });
  app.useBodyParser('urlencoded', { limit: config.maxBodyBytes, extended: false });
  await SwaggerModule.loadPluginMetadata(metadata);
  // Built at the first request of /docs or /docs-json, not at start, which it cost about 100 ms of CPU.
  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

export async function buildOpenApiDocument(app: NestExpressApplication): Promise<OpenAPIObject> {
  await SwaggerModule.loadPluginMetadata(metadata);
  return createOpenApiDocument(app);
}

/** The document, once the plugin's metadata (src/metadata.ts) is loaded. */
function createOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Media delivery')
    .setDescription(
      'Opencast-compatible download distribution (/distribution/download) and VOD downloads cut from recorded events (/voddownload).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of API_KEYS' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'X-API-Key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('X-API-Key')
    .build();
  const document = SwaggerModule.createDocument(app, info, { operationIdFactory: (_controller, method) => method });
  document.paths[PUBLISHED_DISTRIBUTION_FILE] = publishedDistributionFile;
  return openOperations(document);
}

/** Served by PublishedFilesMiddleware, so Nest's explorer does not see it. */
const PUBLISHED_DISTRIBUTION_FILE = '/static/{organization}/{channelId}/{mediaPackageId}/{elementId}/{fileName}';
const publishedDistributionFile: OpenAPIObject['paths'][string] = {
  get: {
    operationId: 'getPublishedDistributionFile',
    summary: 'Get a file that /distribution/download published (no API key needed; Range requests supported).',
    tags: ['Distribution'],
    parameters: ['organization', 'channelId', 'mediaPackageId', 'elementId', 'fileName'].map((name) => ({
      in: 'path' as const,
      name,
      required: true,
      schema: { type: 'string' },
    })),
    security: [ANONYMOUS_REQUIREMENT],
    responses: {
      '200': { description: 'The file (206 with a Range header)' },
      '404': { description: 'Nothing is published at this path, or it was retracted' },
    },
  },
};

/** Operations that @Public opened carry `security: []`: they override the document's API-key requirement. */
function openOperations(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, { security?: object[] }>)) {
      const security = operation?.security;
      if (security?.length === 1 && Object.keys(security[0]).length === 0) operation.security = [];
    }
  }
  return document;
}

/** What a worker-only process (API_ENABLED=false) answers: its health and metrics, for the orchestrator; anything else is 404. */
const OPERATIONS_PATH = /^\/(health|metrics)(\/|$)/;

function operationsEndpointsOnly(request: Request, response: Response, next: NextFunction): void {
  if (OPERATIONS_PATH.test(request.path)) return next();
  response.status(404).json({ statusCode: 404, message: 'This is a worker-only process (API_ENABLED=false)' });
}
