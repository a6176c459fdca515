// http2's session.request() calls AsyncResource.prototype.bind once per
// stream, and Node's bind hangs a deprecated `asyncResource` accessor pair
// (DEP0172) on every function it returns, each wrapped by util.deprecate. On
// Node 20 util.deprecate also calls Object.setPrototypeOf on each fresh
// function, so every request leaves prototype metadata for the garbage
// collector: profiled, a bare node:http2 client loop spent about a third of its
// CPU in GC, and with the bind below it cost about a third less CPU per call
// (interleaved runs). On Node 22, Node's bind was still ~6 % of a load
// thread's busy time (profiled).
//
// The load generator's process (and each --workers thread) swaps in a bind
// that does what Node's does (the function runs in the resource's async
// scope, `this` passed through, `length` kept) without the deprecated
// property, which nothing in this process reads. A Node whose bind no longer
// adds it is left alone.
import { AsyncResource } from 'node:async_hooks';

let checked = false;

type AnyFunction = (...args: unknown[]) => unknown;

/** `fn` run in `resource`'s async scope, `this` and arguments passed through. */
function runInScope(resource: AsyncResource, fn: AnyFunction): AnyFunction {
  // Returned as it is made, never assigned to a name: tsx (esbuild's keepNames) would add a call that names it, per request.
  return function (this: unknown, ...args: unknown[]): unknown {
    return resource.runInAsyncScope(fn, this, ...args);
  };
}

/** `fn` bound as Node's bind returns it (its length kept), without the deprecated accessors. */
function inScope(resource: AsyncResource, fn: AnyFunction): AnyFunction {
  const bound = runInScope(resource, fn);
  // The function http2 binds per request has length 0, as `bound` has: redefining it would cost ~0.4 µs a request.
  if (fn.length === 0) return bound;
  return Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
}

/** Whether this Node's bind adds the deprecated accessors. */
function bindAddsAccessors(): boolean {
  const probe = new AsyncResource('cloudrun-grpc.bind-probe', { requireManualDestroy: true });
  const adds = Object.getOwnPropertyDescriptor(probe.bind(() => {}), 'asyncResource') !== undefined;
  probe.emitDestroy();
  return adds;
}

export function useLeanAsyncBind(): void {
  if (checked) return;
  checked = true;
  if (!bindAddsAccessors()) return;
  const nodeBind = AsyncResource.prototype.bind as (this: AsyncResource, fn: AnyFunction, thisArg?: unknown) => AnyFunction;
  AsyncResource.prototype.bind = function bind(this: AsyncResource, fn: AnyFunction, thisArg?: unknown): AnyFunction {
    // Node's own path for what http2 never asks: a bound `this`, or something to reject.
    if (thisArg !== undefined || typeof fn !== 'function') return nodeBind.call(this, fn, thisArg);
    return inScope(this, fn);
  } as typeof AsyncResource.prototype.bind;
}
