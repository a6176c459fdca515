// A real Prometheus (Debian's `prometheus`) for tests of the metrics endpoint:
// started on a free loopback port with a scratch config and data directory,
// scraping the given targets every SCRAPE_INTERVAL, queried with PromQL over
// its HTTP API, and stopped (and its directory removed) when the test ends.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { debianCommand } from './debian-package.js';
import { freePort } from './process.js';
import { eventually } from './server.js';
import { temporaryDirectory } from './temp-dir.js';

export const SCRAPE_INTERVAL = '500ms';
const READY_TIMEOUT_MS = 30_000;

/** One series of an instant query's result: its labels and its value. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Prometheus {
  readonly url: string;
  /** Evaluates `promql` now (an instant query). */
  query(promql: string): Promise<Sample[]>;
}

/** prometheus's path, installed first if need be; or why it cannot be had here. */
export function prometheusCommand(): { path: string } | { skip: string } {
  return debianCommand(['prometheus'], 'prometheus');
}

/** Starts `command` scraping `targets` (host:port, at /metrics) for test `t`; resolves once it is ready. */
export async function startPrometheus(t: Test, command: string, targets: readonly string[]): Promise<Prometheus> {
  const dir = temporaryDirectory(t, 'cloudrun-grpc-prometheus-');
  const config = {
    global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_INTERVAL },
    scrape_configs: [{ job_name: 'cloudrun-grpc', static_configs: [{ targets }] }],
  };
  // YAML is a superset of JSON.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    command,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Registered after the directory's removal, so it runs first (tap runs teardowns last registered first).
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr.trim().slice(-500)}`);
      return fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
    },
    READY_TIMEOUT_MS,
    'prometheus to be ready',
    100,
  );
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || body.data === undefined) throw new Error(`prometheus: ${promql}: ${body.error ?? response.status}`);
      return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
  };
}
