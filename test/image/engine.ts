// The container engine that builds and runs the image: docker where a daemon answers, otherwise
// podman (installed with apt where it is missing). Podman reads configuration files of its own,
// kept in the cache directory with its image store, so nothing outside that directory changes.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installCommands } from './packages.js';

const run = promisify(execFile);

export interface Engine {
  readonly name: 'docker' | 'podman';
  /** Runs `<engine> ...args`; resolves to stdout, rejects with the command and its stderr. */
  exec(args: readonly string[], timeoutMs?: number): Promise<string>;
  /**
   * How a container's server is reached on 127.0.0.1:`hostPort` and nowhere else. Docker publishes
   * the container port on 127.0.0.1, so PORT is the manifest's. Podman shares the host's network (its
   * bridge would add firewall rules to the host) and its server binds 127.0.0.1:`hostPort`.
   */
  network(containerPort: number, hostPort: number): { args: string[]; env: Record<string, string> };
  /** Flags `run` needs for Kubernetes' readOnlyRootFilesystem: a read-only root and nothing mounted over it. */
  readonly readOnlyArgs: readonly string[];
  /** Flags for `build` besides the Dockerfile's own. */
  readonly buildArgs: readonly string[];
}

function engine(name: Engine['name'], env: NodeJS.ProcessEnv): Pick<Engine, 'name' | 'exec'> {
  return {
    name,
    async exec(args, timeoutMs = 120_000) {
      try {
        return (await run(name, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
      } catch (error) {
        const { stderr, message } = error as Error & { stderr?: string };
        throw new Error(`${name} ${args.join(' ')} failed: ${stderr?.trim() || message}`);
      }
    },
  };
}

function docker(): Engine {
  return {
    ...engine('docker', process.env),
    network: (containerPort, hostPort) => ({ args: ['--publish', `127.0.0.1:${hostPort}:${containerPort}`], env: { PORT: String(containerPort) } }),
    readOnlyArgs: ['--read-only'],
    buildArgs: [],
  };
}

/**
 * Podman's three configuration files, in `dir`. What each setting passes on a machine without
 * systemd and with a hybrid cgroup layout is in docs/image-test.md.
 */
async function configurePodman(dir: string): Promise<NodeJS.ProcessEnv> {
  const files = {
    CONTAINERS_STORAGE_CONF: ['storage.conf', `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`],
    CONTAINERS_REGISTRIES_CONF: ['registries.conf', 'unqualified-search-registries = []\n'],
    CONTAINERS_CONF: [
      'containers.conf',
      '[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]\n' +
        `[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\ntmp_dir = "${dir}/tmp"\n` +
        `[network]\nnetwork_config_dir = "${dir}/networks"\n`,
    ],
  } as const;
  await mkdir(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [variable, [file, content]] of Object.entries(files)) {
    await writeFile(join(dir, file), content);
    env[variable] = join(dir, file);
  }
  return env;
}

async function podman(dir: string): Promise<Engine> {
  await installCommands({ podman: 'podman', runc: 'runc' });
  return {
    ...engine('podman', await configurePodman(dir)),
    network: (_containerPort, hostPort) => ({ args: ['--network', 'host'], env: { PORT: String(hostPort), HOST: '127.0.0.1' } }),
    readOnlyArgs: ['--read-only', '--read-only-tmpfs=false'],
    // Keep layers (a rerun with the same lockfile skips npm ci); the host's network, as for running.
    buildArgs: ['--layers', '--network', 'host'],
  };
}

/** Docker if its daemon answers, else podman with its store in `podmanDir`; rejects saying why neither can run. */
export async function findEngine(podmanDir: string): Promise<Engine> {
  const daemon = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 }).then(
    () => undefined,
    (error: Error & { stderr?: string }) => error.stderr?.trim().split('\n').pop() || error.message,
  );
  if (daemon === undefined) return docker();
  return podman(podmanDir).catch((error: Error) => {
    throw new Error(`no container engine: docker: ${daemon}; podman: ${error.message}`);
  });
}
