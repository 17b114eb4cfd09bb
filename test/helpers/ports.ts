import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP port nothing listens on right now, for a process that must be told its port before it
 * starts (a child process, or one restarted on the same address). Between this answer and that
 * process's bind, anything else on the machine may take the port: see `listensOn`.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * True when process `pid` itself holds a listening TCP socket on `port` (Linux: /proc). A health
 * check that answers 200 on a port proves nothing more than that something listens there; this
 * tells the child that was started from another process that took its port first.
 */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st ... inode: state 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3] === '0A') listening.add(fields[9]);
    }
  }
  if (listening.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  return fds.some((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && listening.has(inode);
    } catch {
      return false;
    }
  });
}

/**
 * Waits until the child started on `port` listens there itself and answers `healthPath` with 200:
 * 'serving'. 'port taken' when it exited because something else had bound the port first (start
 * it again on another); any other exit, or no answer within `timeoutMs`, throws with its output.
 */
export async function untilServing(
  child: ChildProcess,
  port: number,
  healthPath: string,
  output: () => string,
  timeoutMs = 30_000,
): Promise<'serving' | 'port taken'> {
  // Whatever it printed is read by the time its streams close.
  const closed = new Promise((resolve) => child.once('close', resolve));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await closed;
      if (output().includes('EADDRINUSE')) return 'port taken';
      throw new Error(`The service exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    }
    if (listensOn(child.pid!, port)) {
      const status = await fetch(`http://127.0.0.1:${port}${healthPath}`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return 'serving';
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`No healthy answer from port ${port} within ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
