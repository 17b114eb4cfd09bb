/**
 * For tests that need a program CI installs but a developer may lack (nginx, Chromium): true when it
 * is there; otherwise one line saying the test is skipped, or, on CI (CI=true), an error that fails it.
 */
export function requiredTool(name: string, installed: boolean): boolean {
  if (installed) return true;
  if (process.env.CI && process.env.CI !== 'false') {
    throw new Error(`${name} is not installed, and CI must run this test (.ci/run installs it)`);
  }
  console.log(`Skipped: ${name} is not installed (apt-get install ${name}); CI runs this test.`);
  return false;
}
