// Before any load is sent: the method's descriptors fetched from the server
// when they come from reflection, the method found (its kind is the plan's
// shape), and the request data and templates checked by encoding them once.
// Whatever is wrong is a UsageError (exit 2) here, not an error per call.
import { UsageError } from '../../client/flags.js';
import type { LoadPlan } from '../plan.js';
import { splitMethodName } from '../../client/descriptors.js';
import { fetchDescriptorSet } from '../../client/reflection.js';
import { methodOf, requestSource } from './requests.js';

/** `plan` ready to run: descriptors in it, shape from the method; throws UsageError or ConnectError. */
export async function prepareCall(plan: LoadPlan): Promise<LoadPlan> {
  const call = plan.call;
  if (call === undefined) return plan;
  let ready = plan;
  if (call.descriptors.from === 'reflection' && call.descriptors.set === undefined) {
    const [service] = splitMethodName(call.method);
    // The calls' message limits are not the reflection request's: its descriptors may well be larger.
    const { maxReceiveBytes: _receive, maxSendBytes: _send, ...connection } = {
      ...plan.connection,
      ...(call.reflectMetadata !== undefined && { metadata: call.reflectMetadata }),
    };
    const set = await fetchDescriptorSet(plan.target, connection, service, plan.deadlineMs);
    ready = { ...plan, call: { ...call, descriptors: { from: 'reflection', set } } };
  }
  const method = methodOf(ready);
  ready = { ...ready, shape: method.kind };
  if (call.binary !== undefined) {
    try {
      method.requestType.decode(call.binary);
    } catch (error) {
      throw new UsageError(`-b, -B: the binary data is not a serialized ${method.requestType.fullName.replace(/^\./, '')}: ${(error as Error).message}`);
    }
  }
  const maxSend = ready.driver === 'http2' ? ready.connection.maxSendBytes : undefined;
  const first = requestSource(ready, method, { index: 0, of: 1 }, (messages) => messages).forCall(0);
  const largest = Math.max(...first.messages.map((message) => message.length));
  if (maxSend !== undefined && largest > maxSend) {
    throw new UsageError(`--max-send-message-size: a request is ${largest} bytes, more than ${maxSend}`);
  }
  return ready;
}
