// A minimal xDS control plane for tests: one ADS stream per client
// (envoy.service.discovery.v3.AggregatedDiscoveryService), state of the world,
// serving the Listener, RouteConfiguration, Cluster and ClusterLoadAssignment
// resources the test sets, on 127.0.0.1:0. Built from the envoy protos that
// ship inside @grpc/grpc-js-xds; protobufjs encodes a google.protobuf.Any given
// as { '@type': url, ...fields }, so resources are plain objects here.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Teardown } from '../helpers/server.js';

const XDS_PACKAGE_DIR = dirname(createRequire(import.meta.url).resolve('@grpc/grpc-js-xds/package.json'));

const packageDefinition = protoLoader.loadSync(
  [
    'envoy/service/discovery/v3/ads.proto',
    'envoy/config/listener/v3/listener.proto',
    'envoy/config/route/v3/route.proto',
    'envoy/config/cluster/v3/cluster.proto',
    'envoy/config/endpoint/v3/endpoint.proto',
    'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
    'envoy/extensions/filters/http/router/v3/router.proto',
  ],
  {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(XDS_PACKAGE_DIR, 'deps', dir)),
  },
);
const ads = (grpc.loadPackageDefinition(packageDefinition) as unknown as {
  envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } } };
}).envoy.service.discovery.v3.AggregatedDiscoveryService;

export const TYPE_URL = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;
type TypeUrl = (typeof TYPE_URL)[keyof typeof TYPE_URL];

const HTTP_CONNECTION_MANAGER =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

/** The bootstrap's template for an XdsServer's Listener name, as Traffic Director uses it. */
export const SERVER_LISTENER_TEMPLATE = 'grpc/server?xds.resource.listening_address=%s';

type Resource = Record<string, unknown>;

interface DiscoveryRequest {
  version_info: string;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail: { message: string } | null;
}

interface DiscoveryResponse {
  version_info: string;
  resources: Resource[];
  type_url: string;
  nonce: string;
}

/** One client's ADS stream: what it asked for and which version of each type it has accepted. */
interface Subscriber {
  readonly call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  readonly names: Map<string, readonly string[]>;
  readonly acked: Map<string, number>;
}

/** A client listener: HttpConnectionManager → RDS `routeName` over ADS → router filter. */
export function clientListener(name: string, routeName: string): Resource {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type': HTTP_CONNECTION_MANAGER,
        rds: { route_config_name: routeName, config_source: { ads: {} } },
        http_filters: [ROUTER],
      },
    },
  };
}

/** Every call to `cluster`. */
export function routeTo(name: string, cluster: string): Resource {
  return { name, virtual_hosts: [{ name, domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster } }] }] };
}

/** A round-robin cluster whose endpoints come from EDS over ADS. */
export function edsCluster(name: string): Resource {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, lb_policy: 'ROUND_ROBIN' };
}

/** The endpoints of `cluster`: one locality, one endpoint per port on 127.0.0.1. */
export function assignment(cluster: string, ports: readonly number[]): Resource {
  return {
    cluster_name: cluster,
    endpoints: [
      {
        locality: { region: 'test', zone: 'test-a' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })),
      },
    ],
  };
}

/** The Listener an XdsServer bound to host:port asks for: serve every call here (non-forwarding route). */
export function serverListener(host: string, port: number): Resource {
  return {
    name: SERVER_LISTENER_TEMPLATE.replace('%s', `${host}:${port}`),
    address: { socket_address: { address: host, port_value: port } },
    filter_chains: [
      {
        name: 'greeter',
        filters: [
          {
            name: 'http_connection_manager',
            typed_config: {
              '@type': HTTP_CONNECTION_MANAGER,
              route_config: {
                name: 'inbound',
                virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '' }, non_forwarding_action: {} }] }],
              },
              http_filters: [ROUTER],
            },
          },
        ],
      },
    ],
  };
}

export class ControlPlane {
  private readonly resources = new Map<TypeUrl, Map<string, Resource>>(Object.values(TYPE_URL).map((url) => [url, new Map()]));
  private readonly versions = new Map<string, number>();
  private readonly subscribers = new Set<Subscriber>();
  private nonce = 0;
  /** The error_detail of every response a client rejected: a test should end with none. */
  readonly nacks: string[] = [];

  private boundPort = 0;

  /** The port the control plane listens on, on 127.0.0.1. */
  get port(): number {
    return this.boundPort;
  }

  /** Starts a control plane on 127.0.0.1:0 for test `t`, stopped when the test ends. */
  static async start(t: Teardown): Promise<ControlPlane> {
    const plane = new ControlPlane();
    const server = new grpc.Server();
    server.addService(ads.service, { StreamAggregatedResources: (call: Subscriber['call']) => plane.subscribe(call) });
    plane.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    t.teardown(() => server.forceShutdown());
    return plane;
  }

  /** The names of `typeUrl` resources some client has asked for. */
  requested(typeUrl: TypeUrl): string[] {
    return [...this.subscribers].flatMap((subscriber) => subscriber.names.get(typeUrl) ?? []);
  }

  /** A bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG) naming this control plane, plaintext. */
  bootstrap(): string {
    return JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${this.port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'cloudrun-grpc-test', locality: { zone: 'test-a' } },
      server_listener_resource_name_template: SERVER_LISTENER_TEMPLATE,
    });
  }

  /** Sets (or replaces) a resource and pushes it to every client watching its type; returns the new version. */
  set(typeUrl: TypeUrl, resource: Resource): number {
    const name = (typeUrl === TYPE_URL.endpoints ? resource.cluster_name : resource.name) as string;
    this.resources.get(typeUrl)?.set(name, resource);
    const version = (this.versions.get(typeUrl) ?? 0) + 1;
    this.versions.set(typeUrl, version);
    for (const subscriber of this.subscribers) if (subscriber.names.get(typeUrl)?.includes(name)) this.respond(subscriber, typeUrl);
    return version;
  }

  /** True once every client that watches `typeUrl` has accepted `version` or later. */
  accepted(typeUrl: TypeUrl, version: number): boolean {
    const watching = [...this.subscribers].filter((s) => s.names.has(typeUrl));
    return watching.length > 0 && watching.every((s) => (s.acked.get(typeUrl) ?? 0) >= version);
  }

  private subscribe(call: Subscriber['call']): void {
    const subscriber: Subscriber = { call, names: new Map(), acked: new Map() };
    this.subscribers.add(subscriber);
    call.on('data', (request: DiscoveryRequest) => this.handle(subscriber, request));
    call.on('error', () => this.subscribers.delete(subscriber));
    call.on('end', () => {
      this.subscribers.delete(subscriber);
      call.end();
    });
  }

  private handle(subscriber: Subscriber, request: DiscoveryRequest): void {
    const typeUrl = request.type_url as TypeUrl;
    if (request.error_detail) this.nacks.push(`${typeUrl}: ${request.error_detail.message}`);
    else if (request.response_nonce !== '') subscriber.acked.set(typeUrl, Number(request.version_info));
    const previous = subscriber.names.get(typeUrl);
    subscriber.names.set(typeUrl, request.resource_names);
    // An ACK or NACK of what was sent needs no answer; a new or changed subscription does.
    const sameNames = previous !== undefined && previous.join('\n') === request.resource_names.join('\n');
    if (request.response_nonce === '' || !sameNames) this.respond(subscriber, typeUrl);
  }

  private respond(subscriber: Subscriber, typeUrl: TypeUrl): void {
    const names = subscriber.names.get(typeUrl) ?? [];
    const byName = this.resources.get(typeUrl) as Map<string, Resource>;
    const resources = names.flatMap((name) => {
      const resource = byName.get(name);
      return resource === undefined ? [] : [{ '@type': typeUrl, ...resource }];
    });
    this.nonce += 1;
    subscriber.call.write({
      version_info: String(this.versions.get(typeUrl) ?? 0),
      resources,
      type_url: typeUrl,
      nonce: String(this.nonce),
    });
  }
}
