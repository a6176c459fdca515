import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GreeterClient as _helloworld_GreeterClient, GreeterDefinition as _helloworld_GreeterDefinition } from './helloworld/Greeter.js';
import type { HelloRequest as _helloworld_HelloRequest, HelloRequest__Output as _helloworld_HelloRequest__Output } from './helloworld/HelloRequest.js';
import type { HelloResponse as _helloworld_HelloResponse, HelloResponse__Output as _helloworld_HelloResponse__Output } from './helloworld/HelloResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  helloworld: {
    Greeter: SubtypeConstructor<typeof grpc.Client, _helloworld_GreeterClient> & { service: _helloworld_GreeterDefinition }
    HelloRequest: MessageTypeDefinition<_helloworld_HelloRequest, _helloworld_HelloRequest__Output>
    HelloResponse: MessageTypeDefinition<_helloworld_HelloResponse, _helloworld_HelloResponse__Output>
  }
}

