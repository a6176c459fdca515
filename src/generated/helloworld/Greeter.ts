// Original file: proto/helloworld.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HelloRequest as _helloworld_HelloRequest, HelloRequest__Output as _helloworld_HelloRequest__Output } from '../helloworld/HelloRequest.js';
import type { HelloResponse as _helloworld_HelloResponse, HelloResponse__Output as _helloworld_HelloResponse__Output } from '../helloworld/HelloResponse.js';

export interface GreeterClient extends grpc.Client {
  /**
   * Bidirectional: one greeting for each request, as it arrives.
   */
  BidiHello(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloResponse__Output>;
  BidiHello(options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloResponse__Output>;
  /**
   * Bidirectional: one greeting for each request, as it arrives.
   */
  bidiHello(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloResponse__Output>;
  bidiHello(options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloResponse__Output>;
  
  /**
   * Client streaming: one greeting at half-close that counts the names received.
   */
  LotsOfGreetings(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  LotsOfGreetings(metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  LotsOfGreetings(options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  LotsOfGreetings(callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  /**
   * Client streaming: one greeting at half-close that counts the names received.
   */
  lotsOfGreetings(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  lotsOfGreetings(metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  lotsOfGreetings(options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  lotsOfGreetings(callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  
  /**
   * Server streaming: `count` greetings, `interval_ms` apart.
   */
  LotsOfReplies(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloResponse__Output>;
  LotsOfReplies(argument: _helloworld_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloResponse__Output>;
  /**
   * Server streaming: `count` greetings, `interval_ms` apart.
   */
  lotsOfReplies(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloResponse__Output>;
  lotsOfReplies(argument: _helloworld_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloResponse__Output>;
  
  /**
   * Unary: one request, one greeting.
   */
  SayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Unary: one request, one greeting.
   */
  sayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, callback: grpc.requestCallback<_helloworld_HelloResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface GreeterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Bidirectional: one greeting for each request, as it arrives.
   */
  BidiHello: grpc.handleBidiStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloResponse>;
  
  /**
   * Client streaming: one greeting at half-close that counts the names received.
   */
  LotsOfGreetings: grpc.handleClientStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloResponse>;
  
  /**
   * Server streaming: `count` greetings, `interval_ms` apart.
   */
  LotsOfReplies: grpc.handleServerStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloResponse>;
  
  /**
   * Unary: one request, one greeting.
   */
  SayHello: grpc.handleUnaryCall<_helloworld_HelloRequest__Output, _helloworld_HelloResponse>;
  
}

export interface GreeterDefinition extends grpc.ServiceDefinition {
  BidiHello: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloResponse, _helloworld_HelloRequest__Output, _helloworld_HelloResponse__Output>
  LotsOfGreetings: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloResponse, _helloworld_HelloRequest__Output, _helloworld_HelloResponse__Output>
  LotsOfReplies: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloResponse, _helloworld_HelloRequest__Output, _helloworld_HelloResponse__Output>
  SayHello: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloResponse, _helloworld_HelloRequest__Output, _helloworld_HelloResponse__Output>
}
