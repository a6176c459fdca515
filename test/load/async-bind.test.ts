import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import t from 'tap';
import { useLeanAsyncBind } from '../../src/load/async-bind.js';

t.test('a bound function still runs in its resource’s async scope, with its this, arguments and length', (t) => {
  useLeanAsyncBind();
  const storage = new AsyncLocalStorage<string>();
  const resource = storage.run('at bind time', () => new AsyncResource('Test'));
  const seen: unknown[] = [];
  const bound = resource.bind(function (this: unknown, a: number, b: number) {
    seen.push(this, a + b, executionAsyncId(), storage.getStore());
    return 'returned';
  });
  const self = { name: 'caller' };
  const result = storage.run('at call time', () => bound.call(self, 2, 3));
  t.equal(result, 'returned');
  t.same(seen, [self, 5, resource.asyncId(), 'at bind time']);
  t.equal(bound.length, 2);
  t.notOk('asyncResource' in bound, 'without the deprecated accessors (DEP0172)');
  t.throws(() => resource.bind(42 as unknown as () => void), { code: 'ERR_INVALID_ARG_TYPE' }, 'a non-function is refused as Node refuses it');
  t.end();
});

t.test('a bound function of no parameters (what http2 binds per request) runs in its resource’s scope with length 0', (t) => {
  useLeanAsyncBind();
  const storage = new AsyncLocalStorage<string>();
  const resource = storage.run('at bind time', () => new AsyncResource('Test'));
  const bound = resource.bind(() => [executionAsyncId(), storage.getStore()]);
  t.same(storage.run('at call time', () => bound()), [resource.asyncId(), 'at bind time']);
  t.equal(bound.length, 0);
  t.end();
});
