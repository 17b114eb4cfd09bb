// Writes deploy/media-delivery-types.conf from the service's own Content-Type table (mime-types).
// Run through `npm run deploy:types`, which compiles it first; src/storage/nginx-types.spec.ts fails
// while the file and the table disagree.
import { writeFileSync } from 'node:fs';
import { renderNginxTypes } from '../dist/src/storage/nginx-types.js';

writeFileSync('deploy/media-delivery-types.conf', renderNginxTypes());
