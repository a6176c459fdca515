// gRPC server reflection (@grpc/reflection, v1 and v1alpha), registered with the server at start
// but built on its first call: building it parses the reflection protos and decodes every
// descriptor it describes, start-up time that each cold start would otherwise pay before its
// first reply, for a service most instances are never asked.
import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** What @grpc/reflection registers: one bidirectional method in each version's service. */
const SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;
const METHOD = 'ServerReflectionInfo';

interface Built {
  readonly method: grpc.MethodDefinition<unknown, unknown>;
  readonly handler: grpc.handleBidiStreamingCall<unknown, unknown>;
}

/** Serves reflection for `services`, described from `definition`, on `server`. */
export function addReflection(server: Pick<grpc.Server, 'addService'>, definition: PackageDefinition, services: string[]): void {
  let built: Map<string, Built> | undefined;
  const build = (): Map<string, Built> => {
    if (built === undefined) {
      const byPath = new Map<string, Built>();
      // addToServer hands each version's service definition and handler to this stand-in server.
      new ReflectionService(definition, { services }).addToServer({
        addService: (service, implementation) => {
          const method = service[METHOD]!;
          byPath.set(method.path, { method, handler: implementation[METHOD] as grpc.handleBidiStreamingCall<unknown, unknown> });
        },
      });
      built = byPath;
    }
    return built;
  };
  for (const service of SERVICES) {
    const path = `/${service}/${METHOD}`;
    const real = (): Built => build().get(path)!;
    const method: grpc.MethodDefinition<unknown, unknown> = {
      path,
      requestStream: true,
      responseStream: true,
      requestSerialize: (value) => real().method.requestSerialize(value),
      requestDeserialize: (bytes) => real().method.requestDeserialize(bytes),
      responseSerialize: (value) => real().method.responseSerialize(value),
      responseDeserialize: (bytes) => real().method.responseDeserialize(bytes),
    };
    server.addService({ [METHOD]: method }, { [METHOD]: (call: grpc.ServerDuplexStream<unknown, unknown>) => real().handler(call) });
  }
}
