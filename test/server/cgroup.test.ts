import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { resolveMemoryLimit, usableCpus, usableMemory } from '../../src/server/cgroup.js';

const MiB = 1024 * 1024;

/** A cgroup file holding `content`, removed after the test. */
function cgroupFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cgroup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

t.test('usableCpus honours a cgroup v2 CPU quota, rounding up, and ignores an absent or unlimited one', async (t) => {
  const cpus = availableParallelism();
  const cpuMax = (content: string): string => cgroupFile('cpu.max', content);
  t.equal(usableCpus(cpuMax('50000 100000\n')), 1, 'half a CPU is one worker');
  t.equal(usableCpus(cpuMax('150000 100000\n')), Math.min(cpus, 2), '1.5 CPUs round up to 2');
  t.equal(usableCpus(cpuMax('max 100000\n')), cpus);
  t.equal(usableCpus(cpuMax('garbage\n')), cpus);
  t.equal(usableCpus('/nonexistent/cpu.max'), cpus);
});

t.test("usableMemory reads the container's cgroup memory limit, v2 first, and falls back to the machine's memory", async (t) => {
  const machine = totalmem();
  t.equal(usableMemory([cgroupFile('memory.max', `${512 * MiB}\n`)]), 512 * MiB, 'a pod limit of 512Mi');
  t.equal(usableMemory([cgroupFile('memory.max', 'max\n')]), machine, 'v2 without a limit');
  t.equal(usableMemory(['/nonexistent/memory.max', cgroupFile('memory.limit_in_bytes', `${256 * MiB}\n`)]), 256 * MiB, 'v1');
  t.equal(usableMemory([cgroupFile('memory.limit_in_bytes', '9223372036854771712\n')]), machine, 'v1 without a limit');
  t.equal(usableMemory(['/nonexistent/memory.max']), machine, 'no cgroup at all');
});

t.test('MEMORY_LIMIT_MIB=auto asks the cgroup; a number is taken as it is', async (t) => {
  t.equal(resolveMemoryLimit('auto', () => 512 * MiB), 512 * MiB);
  t.equal(resolveMemoryLimit(128 * MiB, () => 512 * MiB), 128 * MiB);
});
