/**
 * Options for vi.waitFor and expect.poll when they wait for something that will happen and has no
 * deadline of its own under test. Their default, 1 s, is outrun on a busy 2-core machine running
 * ffmpeg: a member's registration alone is several Digest round trips with the registry.
 */
export const EVENTUALLY = { timeout: 10_000, interval: 25 };
