// tsx bench/metrics-recording.ts N [sdk|none]: records N unary calls' metrics through CallMetrics
// (src/server/metrics.ts) as the interceptor does (start, then end with OK), behind a Prometheus reader,
// with no server: run it under `valgrind --tool=callgrind` at two N and divide the difference in
// instructions by the difference in N for what the metrics cost one call (docs/performance.md). `none`
// runs the same loop without recording, to show the loop's own cost.
import * as grpc from '@grpc/grpc-js';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { CallMetrics } from '../src/server/metrics.js';

const calls = Number(process.argv[2] ?? 10_000);
const record = process.argv[3] !== 'none';
const provider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
const metrics = new CallMetrics(provider.getMeter('bench'), {
  inFlight: () => 0,
  shed: () => ({ calls: 0, watches: 0 }),
  ended: () => ({ requestTimeout: 0, memoryBudget: 0 }),
  serving: () => true,
});
const call = { started: performance.now(), bytesIn: 7, bytesOut: 15 };
let sink = 0;
for (let i = 0; i < calls; i += 1) {
  if (record) metrics.end(metrics.start('/helloworld.Greeter/SayHello', true), grpc.status.OK, call);
  else sink += performance.now() - call.started;
}
if (sink < 0) console.log(sink);
