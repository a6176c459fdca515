// Node 20's AsyncResource.prototype.bind, which http2's session.request()
// calls once per stream, hangs a deprecated `asyncResource` accessor pair
// (DEP0172) on every function it returns, each wrapped by util.deprecate,
// which calls Object.setPrototypeOf on a fresh function. Every request then
// leaves prototype metadata for the garbage collector: profiled on Node 20, a
// bare node:http2 client loop spent about a third of its CPU in GC, and with
// the bind below it cost about a third less CPU per call (interleaved runs).
// Node 22 builds the accessors without setPrototypeOf: nothing is changed there.
//
// The load generator's process (and each --workers thread) swaps in a bind
// that does what Node's does (the function runs in the resource's async
// scope, `this` passed through, `length` kept) without the deprecated
// property. Nothing in this process reads it.
import { AsyncResource } from 'node:async_hooks';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
let installed = false;

type AnyFunction = (...args: unknown[]) => unknown;

/** `fn` run in `resource`'s async scope, as Node's bind returns it, without the deprecated accessors. */
function inScope(resource: AsyncResource, fn: AnyFunction): AnyFunction {
  // Not assigned to a name first: tsx (esbuild's keepNames) would add a call that names it, per request.
  return Object.defineProperty(
    function (this: unknown, ...args: unknown[]): unknown {
      return resource.runInAsyncScope(fn, this, ...args);
    },
    'length',
    { configurable: true, enumerable: false, value: fn.length, writable: false },
  );
}

export function useLeanAsyncBind(): void {
  if (installed || NODE_MAJOR >= 22) return;
  installed = true;
  const nodeBind = AsyncResource.prototype.bind as (this: AsyncResource, fn: AnyFunction, thisArg?: unknown) => AnyFunction;
  AsyncResource.prototype.bind = function bind(this: AsyncResource, fn: AnyFunction, thisArg?: unknown): AnyFunction {
    // Node's own path for what http2 never asks: a bound `this`, or something to reject.
    if (thisArg !== undefined || typeof fn !== 'function') return nodeBind.call(this, fn, thisArg);
    return inScope(this, fn);
  } as typeof AsyncResource.prototype.bind;
}
