import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { vi } from 'vitest';

export interface TestSmtpServer {
  url: string;
  /** The messages accepted, in order. */
  messages: ParsedMail[];
  /** What became of each message sent, in order: refused with a temporary error, or accepted. */
  deliveries: ('refused' | 'accepted')[];
  /** How many deliveries to refuse with a temporary error before accepting. */
  refuseNext(count: number): void;
  /** Forgets the messages and deliveries so far. */
  clear(): void;
  waitForMessages(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on a loopback port that parses what it receives. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const deliveries: TestSmtpServer['deliveries'] = [];
  let toRefuse = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (toRefuse > 0) {
            toRefuse--;
            deliveries.push('refused');
            const error = Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 });
            callback(error);
            return;
          }
          deliveries.push('accepted');
          messages.push(parsed);
          callback();
        })
        .catch(callback);
    },
  });
  // A client that goes away mid-conversation (a worker killed in the scale-out test) is what a
  // real mail server shrugs off too; without a listener it would crash the test process (EPIPE).
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    deliveries,
    refuseNext: (count) => {
      toRefuse = count;
    },
    clear: () => {
      messages.length = 0;
      deliveries.length = 0;
      toRefuse = 0;
    },
    waitForMessages: (count, timeoutMs = 10_000) =>
      vi.waitFor(
        () => {
          if (messages.length < count) throw new Error(`Expected ${count} message(s), got ${messages.length}`);
          return messages;
        },
        { timeout: timeoutMs, interval: 25 },
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
