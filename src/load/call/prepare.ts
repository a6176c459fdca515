// Before any load is sent: the method's descriptors fetched from the server
// when they come from reflection, the method found (its kind is the plan's
// shape), and the request data and templates checked by encoding them once.
// Whatever is wrong is a UsageError (exit 2) here, not an error per call.
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
    const set = await fetchDescriptorSet(plan.target, plan.connection, service, plan.deadlineMs);
    ready = { ...plan, call: { ...call, descriptors: { from: 'reflection', set } } };
  }
  const method = methodOf(ready);
  ready = { ...ready, shape: method.kind };
  requestSource(ready, method, { index: 0, of: 1 }, () => undefined);
  return ready;
}
