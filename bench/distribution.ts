/**
 * `npm run bench:distribution`: how long /distribution/download/distributesync takes for a 1 KiB
 * and a 1 GiB element on the same disk (hard links: both should be alike), the same across file
 * systems when /dev/shm is a separate one (the copy fallback through the endpoint), and the copy
 * fallback's throughput against `cp` of the same file. Runs the real app on a loopback port.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/app.setup.js';
import { AppConfig } from '../src/config/app-config.js';
import { copyInto } from '../src/distribution/element-sources.js';
import { median } from './measure.js';

const GiB = 1024 ** 3;
const RUNS = 9;
const COPY_RUNS = 5;

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-distribution-'));
  const free = statfsSync(workDir);
  if (free.bavail * free.bsize < 4 * GiB) throw new Error(`Need 4 GiB free in ${tmpdir()} (df -h ${tmpdir()})`);
  const shm = crossDeviceDir(workDir);
  try {
    const sameDisk = await startApp(workDir, join(workDir, 'static'));
    const mediaRoot = sameDisk.config.mediaRoot;
    await mkdir(mediaRoot, { recursive: true });
    const small = join(mediaRoot, 'small.bin');
    const large = join(mediaRoot, 'large.bin');
    await writeFile(small, 1024);
    console.log('Writing a 1 GiB source file…');
    await writeFile(large, GiB);

    spawnSync('sync');
    await distributeOnce(sameDisk, small, 'warm-up-1');
    await distributeOnce(sameDisk, large, 'warm-up-2');
    // Interleaved, so that background work on the disk weighs on both sizes alike.
    const smallTimes: number[] = [];
    const largeTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      smallTimes.push(await distributeOnce(sameDisk, small, `small-${run}`));
      largeTimes.push(await distributeOnce(sameDisk, large, `large-${run}`));
    }
    const smallMs = median(smallTimes);
    const largeMs = median(largeTimes);
    await sameDisk.app.close();

    let crossDeviceMs: number | undefined;
    if (shm) {
      const crossDevice = await startApp(workDir, shm, mediaRoot);
      const crossTimes: number[] = [];
      for (let run = 0; run < COPY_RUNS; run++) {
        spawnSync('sync');
        crossTimes.push(await distributeOnce(crossDevice, large, `cross-${run}`));
        await rm(join(shm, 'mh_default_org'), { recursive: true, force: true });
      }
      crossDeviceMs = median(crossTimes);
      await crossDevice.app.close();
    }

    // Interleaved, each after a sync, so neither pays for the other's dirty pages.
    const copyTarget = join(workDir, 'copy.bin');
    const copyTimes: number[] = [];
    const cpTimes: number[] = [];
    for (let run = 0; run < COPY_RUNS; run++) {
      copyTimes.push(await timeCopy(copyTarget, () => copyInto(large, copyTarget)));
      cpTimes.push(
        await timeCopy(copyTarget, async () => {
          const result = spawnSync('cp', [large, copyTarget]);
          if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
        }),
      );
    }
    const copyMs = median(copyTimes);
    const cpMs = median(cpTimes);

    const mibPerSecond = (ms: number) => (GiB / 1024 ** 2 / (ms / 1000)).toFixed(0);
    console.log(`\nMedians of ${RUNS} interleaved runs (checkAvailability=true, file system of ${tmpdir()}):`);
    console.log(`  /distributesync 1 KiB element (hard link): ${smallMs.toFixed(1)} ms`);
    console.log(
      `  /distributesync 1 GiB element (hard link): ${largeMs.toFixed(1)} ms  (ratio to 1 KiB: ${(largeMs / smallMs).toFixed(2)})`,
    );
    if (crossDeviceMs !== undefined) {
      console.log(
        `  /distributesync 1 GiB element to ${shm} (another file system, so the copy fallback; median of ${COPY_RUNS}): ${crossDeviceMs.toFixed(0)} ms = ${mibPerSecond(crossDeviceMs)} MiB/s`,
      );
    }
    console.log(
      `  copy fallback (fs.copyFile, COPYFILE_FICLONE) of 1 GiB, median of ${COPY_RUNS}: ${copyMs.toFixed(0)} ms = ${mibPerSecond(copyMs)} MiB/s`,
    );
    console.log(`  cp of the same file, median of ${COPY_RUNS}: ${cpMs.toFixed(0)} ms = ${mibPerSecond(cpMs)} MiB/s`);
    console.log(`  copy fallback / cp time ratio: ${(copyMs / cpMs).toFixed(2)}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
}

interface RunningApp {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
}

async function startApp(
  dataDir: string,
  distributionDir: string,
  mediaRoot = join(dataDir, 'media'),
): Promise<RunningApp> {
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DISTRIBUTION_DIR: distributionDir,
    MEDIA_ROOT: mediaRoot,
    PORT: '0',
    CLEANUP_CRON: 'off',
    API_KEYS: '',
    OPENCAST_DIGEST_USER: '',
    OPENCAST_DIGEST_PASSWORD: '',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  const config = app.get(AppConfig);
  config.publicUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  config.distribution.baseUrl = `${config.publicUrl}/static`;
  return { app, config, url: config.publicUrl };
}

/** Time of one /distributesync of `file`, into a new mediapackage. */
async function distributeOnce(running: RunningApp, file: string, mediaPackageId: string): Promise<number> {
  const mediapackage =
    `<mediapackage xmlns="http://mediapackage.opencastproject.org" id="bench-${mediaPackageId}"><media>` +
    `<track id="track-1" type="presenter/delivery"><mimetype>application/octet-stream</mimetype>` +
    `<url>${pathToFileURL(file).href}</url></track></media></mediapackage>`;
  const started = performance.now();
  const response = await fetch(`${running.url}/distribution/download/distributesync`, {
    method: 'POST',
    body: new URLSearchParams({ mediapackage, channelId: 'bench', elementId: 'track-1' }),
  });
  const body = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`distributesync answered ${response.status}: ${body}`);
  return elapsed;
}

async function timeCopy(target: string, copy: () => Promise<void>): Promise<number> {
  await rm(target, { force: true });
  spawnSync('sync');
  const started = performance.now();
  await copy();
  return performance.now() - started;
}

/** Real data (not sparse, not zeros), written in 8 MiB chunks. */
async function writeFile(path: string, size: number): Promise<void> {
  const chunk = randomBytes(Math.min(size, 8 * 1024 ** 2));
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size; written += chunk.length) {
      chunk.writeUInt32LE(written / chunk.length, 0);
      await handle.write(chunk, 0, Math.min(chunk.length, size - written));
    }
  } finally {
    await handle.close();
  }
}

/** A directory on another file system (/dev/shm), where links fail with EXDEV; undefined when there is none. */
function crossDeviceDir(workDir: string): string | undefined {
  try {
    if (statSync('/dev/shm').dev === statSync(workDir).dev) return undefined;
    const free = statfsSync('/dev/shm');
    if (free.bavail * free.bsize < 2 * GiB) return undefined;
    return mkdtempSync('/dev/shm/bench-distribution-');
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
