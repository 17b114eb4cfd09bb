import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The messages (no SMTP_URL: `.eml` files in `<dataDir>/outbox`) written for a download, by message
 * name such as `download-ready`. A message still being written (`.<name>.tmp`) is not counted.
 */
export function outboxMessages(dataDir: string, contentId: string): string[] {
  const outbox = join(dataDir, 'outbox');
  const names = existsSync(outbox) ? readdirSync(outbox) : [];
  const message = new RegExp(`^[^.].*-${contentId}-(download-\\w+)\\.eml$`);
  return names.flatMap((name) => message.exec(name)?.[1] ?? []);
}
