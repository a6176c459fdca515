// What each call sends: the method's request messages, encoded, and the
// metadata rendered from templates. Data without templates is encoded once,
// before the run, and each driver prepares it once more its own way (framed
// for the wire); a call then takes prepared bytes by its number (round-robin
// over a JSON array). Only templated data is rendered and encoded per call.
import type protobuf from 'protobufjs';
import { UsageError } from '../../client/flags.js';
import { GREETER_SERVICE, PROTO_DIR } from '../../proto.js';
import { requestFor, type LoadPlan, type RateShare, type Shape } from '../plan.js';
import { buildRoot, findMethod, type DescriptorSource, type MethodTypes } from '../../client/descriptors.js';
import { encodeJson, RequestDataError } from '../../client/json.js';
import { parseTemplate, TemplateError, type CallContext, type MethodFacts, type Template } from './template.js';

/** The method a run calls and what it sends: plain data, in the plan. */
export interface CallSpec {
  /** package.Service/Method */
  readonly method: string;
  readonly descriptors: DescriptorSource;
  /**
   * --data: protobuf JSON (an object, or an array: one element per call in turn, or a client or bidi stream's
   * messages), possibly with templates. Undefined: the method's default request.
   */
  readonly data: string | undefined;
  /** The --metadata pairs whose values are templates, rendered per call (the others go with the connection). */
  readonly metadataTemplates: readonly (readonly [key: string, value: string])[];
  /** -b, -B (ghz): the request as one serialized message, sent as it is (instead of --data). */
  readonly binary?: Uint8Array;
  /** --reflect-metadata (ghz): metadata for the reflection request alone. */
  readonly reflectMetadata?: readonly (readonly [key: string, value: string])[];
}

/** One call's requests, encoded. */
export interface CallMessages {
  /** Sent in order, `count` in all, starting over at the end (a stream of one message repeated). */
  readonly messages: readonly Buffer[];
  readonly count: number;
  /** The templated --metadata, rendered; empty when there is none. */
  readonly metadata: readonly (readonly [key: string, value: string])[];
}

/** Gives a driver its prepared requests for call number `n`. */
export interface RequestSource<T> {
  forCall(n: number): T;
}

/** Why a call's request could not be made (a template rendered into data that does not fit): the call fails with INTERNAL. */
export class RequestRenderError extends Error {
  override name = 'RequestRenderError';
}

export type RequestPlan = Pick<LoadPlan, 'call' | 'shape' | 'messages' | 'replies' | 'intervalMs' | 'payloadBytes'>;

const GREETER_METHODS: Readonly<Record<Shape, string>> = {
  unary: 'SayHello',
  server: 'LotsOfReplies',
  client: 'LotsOfGreetings',
  bidi: 'BidiHello',
};

/** --shape S: the Greeter's method of that shape, from the project's own proto, with its default request. */
export function greeterCall(shape: Shape): CallSpec {
  return {
    method: `${GREETER_SERVICE}/${GREETER_METHODS[shape]}`,
    descriptors: { from: 'files', files: [`${PROTO_DIR}helloworld.proto`], importPaths: [PROTO_DIR] },
    data: undefined,
    metadataTemplates: [],
  };
}

/**
 * bidi: the Greeter's BidiHello answers every message, so each is sent once the reply to the one before is in
 * (a reply per round trip). Any other bidi method is sent its messages as a client stream is, replies read as
 * they come (as ghz does): a server that answers only after the half-close (HalfDuplexCall) works too.
 */
export const isPingPong = (method: Pick<MethodTypes, 'path'>): boolean => method.path === `/${GREETER_SERVICE}/${GREETER_METHODS.bidi}`;

/** The call of `plan` (the Greeter's, by its shape, when it names none). */
export const callOf = (plan: Pick<LoadPlan, 'call' | 'shape'>): CallSpec => plan.call ?? greeterCall(plan.shape);

/** The method of `plan`, built from its descriptors in this thread. */
export function methodOf(plan: Pick<LoadPlan, 'call' | 'shape'>): MethodTypes {
  const call = callOf(plan);
  return findMethod(buildRoot(call.descriptors), call.method);
}

function factsOf(types: MethodTypes): MethodFacts {
  return {
    service: types.service,
    method: types.method,
    inputName: types.requestType.name,
    outputName: types.responseType.name,
    clientStreaming: types.kind === 'client' || types.kind === 'bidi',
    serverStreaming: types.kind === 'server' || types.kind === 'bidi',
  };
}

/** The default request: the Greeter's (name, payload, count for --shape's flags), {} for any other method. */
function defaultRequest(plan: RequestPlan, types: MethodTypes): unknown {
  return types.service === GREETER_SERVICE ? requestFor(plan) : {};
}

function encodeObject(type: protobuf.Type, object: unknown): Buffer {
  return Buffer.from(type.encode(type.fromObject(object as Record<string, unknown>)).finish());
}

/** Parsed data → each call's messages (before metadata): one list per call, taken in turn. */
function callMessageLists(json: unknown, plan: RequestPlan, type: protobuf.Type, encode: (type: protobuf.Type, json: unknown) => Buffer): { messages: Buffer[]; count: number }[] {
  const streaming = plan.shape === 'client' || plan.shape === 'bidi';
  if (!Array.isArray(json)) return [{ messages: [encode(type, json)], count: streaming ? plan.messages : 1 }];
  if (json.length === 0) throw new RequestDataError('', 'an empty array: give at least one message');
  const encoded = json.map((item, i) => {
    try {
      return encode(type, item);
    } catch (error) {
      if (!(error instanceof RequestDataError)) throw error;
      throw new RequestDataError(error.field === '' ? `[${i}]` : `[${i}].${error.field}`, error.reason);
    }
  });
  return streaming ? [{ messages: encoded, count: encoded.length }] : encoded.map((message) => ({ messages: [message], count: 1 }));
}

function parseJson(text: string, rendered: boolean): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestDataError('', `not JSON${rendered ? ' once its templates are rendered' : ''}: ${(error as Error).message}`);
  }
}

interface MetadataTemplate {
  readonly key: string;
  readonly template: Template;
}

/**
 * The requests of `plan` for a driver that turns CallMessages into its own form with `prepare` (once each
 * when nothing is templated). Throws UsageError naming --data or --metadata when the data or a template is
 * bad; every element of an array is checked, and templated data is checked once, rendered for call 0.
 */
export function requestSource<T>(plan: RequestPlan, types: MethodTypes, share: RateShare, prepare: (call: CallMessages) => T): RequestSource<T> {
  const call = callOf(plan);
  const facts = factsOf(types);
  const metadata: MetadataTemplate[] = call.metadataTemplates.map(([key, value]) => ({ key, template: withFlag('metadata', () => parseTemplate(value, facts)) }));
  const data = call.data === undefined ? undefined : withFlag('data', () => parseTemplate(call.data as string, facts));
  const type = types.requestType;
  const lists = (json: unknown): { messages: Buffer[]; count: number }[] => callMessageLists(json, plan, type, encodeJson);
  const noMetadata: CallMessages['metadata'] = [];
  const renderMetadata = (context: CallContext): CallMessages['metadata'] =>
    metadata.length === 0 ? noMetadata : metadata.map(({ key, template }) => [key, template.render(context)] as const);

  if (data?.dynamic === true) {
    const context: CallContext = { requestNumber: 0, workerId: share.index };
    const render = (n: number): T => {
      context.requestNumber = n;
      const all = lists(parseJson((data as Template).render(context), true));
      const one = all[n % all.length] as { messages: Buffer[]; count: number };
      return prepare({ messages: one.messages, count: one.count, metadata: renderMetadata(context) });
    };
    withFlag('data', () => render(0));
    return {
      forCall(n) {
        try {
          return render(n);
        } catch (error) {
          throw new RequestRenderError(`request ${n}: --data ${(error as Error).message}`);
        }
      },
    };
  }

  const fixed = withFlag('data', () => {
    if (call.binary !== undefined) return callMessageLists(call.binary, plan, type, (_type, bytes) => Buffer.from(bytes as Uint8Array));
    return data === undefined
      ? callMessageLists(defaultRequest(plan, types), plan, type, encodeObject)
      : lists(parseJson(data.render({ requestNumber: 0, workerId: share.index }), false));
  });
  if (metadata.length === 0) {
    const prepared = fixed.map((list) => prepare({ ...list, metadata: noMetadata }));
    if (prepared.length === 1) {
      const only = prepared[0] as T;
      return { forCall: () => only };
    }
    return { forCall: (n) => prepared[n % prepared.length] as T };
  }
  const context: CallContext = { requestNumber: 0, workerId: share.index };
  return {
    forCall(n) {
      context.requestNumber = n;
      const list = fixed[n % fixed.length] as { messages: Buffer[]; count: number };
      return prepare({ ...list, metadata: renderMetadata(context) });
    },
  };
}

function withFlag<R>(flag: 'data' | 'metadata', make: () => R): R {
  try {
    return make();
  } catch (error) {
    if (error instanceof RequestDataError || error instanceof TemplateError) throw new UsageError(`--${flag}: ${error.message}`);
    throw error;
  }
}
