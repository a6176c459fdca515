// One way for a test to get a scratch directory: made under the OS temp dir with a prefix that
// names its owner, removed when the test (or, for the root `t`, the whole file) ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export function temporaryDirectory(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
