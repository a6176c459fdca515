import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { BoolValue as _grpc_testing_BoolValue, BoolValue__Output as _grpc_testing_BoolValue__Output } from './grpc/testing/BoolValue.js';
import type { EchoStatus as _grpc_testing_EchoStatus, EchoStatus__Output as _grpc_testing_EchoStatus__Output } from './grpc/testing/EchoStatus.js';
import type { Empty as _grpc_testing_Empty, Empty__Output as _grpc_testing_Empty__Output } from './grpc/testing/Empty.js';
import type { Payload as _grpc_testing_Payload, Payload__Output as _grpc_testing_Payload__Output } from './grpc/testing/Payload.js';
import type { ResponseParameters as _grpc_testing_ResponseParameters, ResponseParameters__Output as _grpc_testing_ResponseParameters__Output } from './grpc/testing/ResponseParameters.js';
import type { SimpleRequest as _grpc_testing_SimpleRequest, SimpleRequest__Output as _grpc_testing_SimpleRequest__Output } from './grpc/testing/SimpleRequest.js';
import type { SimpleResponse as _grpc_testing_SimpleResponse, SimpleResponse__Output as _grpc_testing_SimpleResponse__Output } from './grpc/testing/SimpleResponse.js';
import type { StreamingInputCallRequest as _grpc_testing_StreamingInputCallRequest, StreamingInputCallRequest__Output as _grpc_testing_StreamingInputCallRequest__Output } from './grpc/testing/StreamingInputCallRequest.js';
import type { StreamingInputCallResponse as _grpc_testing_StreamingInputCallResponse, StreamingInputCallResponse__Output as _grpc_testing_StreamingInputCallResponse__Output } from './grpc/testing/StreamingInputCallResponse.js';
import type { StreamingOutputCallRequest as _grpc_testing_StreamingOutputCallRequest, StreamingOutputCallRequest__Output as _grpc_testing_StreamingOutputCallRequest__Output } from './grpc/testing/StreamingOutputCallRequest.js';
import type { StreamingOutputCallResponse as _grpc_testing_StreamingOutputCallResponse, StreamingOutputCallResponse__Output as _grpc_testing_StreamingOutputCallResponse__Output } from './grpc/testing/StreamingOutputCallResponse.js';
import type { TestServiceClient as _grpc_testing_TestServiceClient, TestServiceDefinition as _grpc_testing_TestServiceDefinition } from './grpc/testing/TestService.js';
import type { UnimplementedServiceClient as _grpc_testing_UnimplementedServiceClient, UnimplementedServiceDefinition as _grpc_testing_UnimplementedServiceDefinition } from './grpc/testing/UnimplementedService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  grpc: {
    testing: {
      BoolValue: MessageTypeDefinition<_grpc_testing_BoolValue, _grpc_testing_BoolValue__Output>
      EchoStatus: MessageTypeDefinition<_grpc_testing_EchoStatus, _grpc_testing_EchoStatus__Output>
      Empty: MessageTypeDefinition<_grpc_testing_Empty, _grpc_testing_Empty__Output>
      GrpclbRouteType: EnumTypeDefinition
      Payload: MessageTypeDefinition<_grpc_testing_Payload, _grpc_testing_Payload__Output>
      PayloadType: EnumTypeDefinition
      ResponseParameters: MessageTypeDefinition<_grpc_testing_ResponseParameters, _grpc_testing_ResponseParameters__Output>
      SimpleRequest: MessageTypeDefinition<_grpc_testing_SimpleRequest, _grpc_testing_SimpleRequest__Output>
      SimpleResponse: MessageTypeDefinition<_grpc_testing_SimpleResponse, _grpc_testing_SimpleResponse__Output>
      StreamingInputCallRequest: MessageTypeDefinition<_grpc_testing_StreamingInputCallRequest, _grpc_testing_StreamingInputCallRequest__Output>
      StreamingInputCallResponse: MessageTypeDefinition<_grpc_testing_StreamingInputCallResponse, _grpc_testing_StreamingInputCallResponse__Output>
      StreamingOutputCallRequest: MessageTypeDefinition<_grpc_testing_StreamingOutputCallRequest, _grpc_testing_StreamingOutputCallRequest__Output>
      StreamingOutputCallResponse: MessageTypeDefinition<_grpc_testing_StreamingOutputCallResponse, _grpc_testing_StreamingOutputCallResponse__Output>
      TestService: SubtypeConstructor<typeof grpc.Client, _grpc_testing_TestServiceClient> & { service: _grpc_testing_TestServiceDefinition }
      /**
       * No server implements this service: clients check that it answers UNIMPLEMENTED.
       */
      UnimplementedService: SubtypeConstructor<typeof grpc.Client, _grpc_testing_UnimplementedServiceClient> & { service: _grpc_testing_UnimplementedServiceDefinition }
    }
  }
}

