"""The C-core side of the interop matrix (test/interop-matrix/run.ts): one check with a grpcio client.

    /usr/bin/python3 client.py CHECK TARGET [STORM_SECONDS]

helloworld_pb2 comes from `protoc --python_out` on PYTHONPATH (grpc_tools is not packaged in Debian, so the
calls are made by method path). Prints one JSON result line ({"ok": bool, "detail": str}); the sigterm check
first prints {"event": "streaming"} once its streams are under way.
"""
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

import helloworld_pb2 as pb

ECHO_INITIAL = 'x-grpc-test-echo-initial'
ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin'
TRAILING_VALUE = b'\xab\xcd\xef'


def result(ok, detail):
    return {'ok': ok, 'detail': detail}


class Greeter:
    def __init__(self, channel):
        def method(kind, name):
            return getattr(channel, kind)(
                '/helloworld.Greeter/' + name,
                request_serializer=pb.HelloRequest.SerializeToString,
                response_deserializer=pb.HelloResponse.FromString,
            )

        self.say_hello = method('unary_unary', 'SayHello')
        self.lots_of_replies = method('unary_stream', 'LotsOfReplies')
        self.lots_of_greetings = method('stream_unary', 'LotsOfGreetings')
        self.bidi_hello = method('stream_stream', 'BidiHello')
        # An empty SimpleRequest is zero bytes: sent raw, no grpc.testing stubs needed.
        self.unary_call = channel.unary_unary('/grpc.testing.TestService/UnaryCall')


def shapes(greeter):
    hello = greeter.say_hello(pb.HelloRequest(name='Ada'), timeout=10)
    if hello.message != 'Hello, Ada!':
        return result(False, 'SayHello: %r' % hello.message)
    sequences = [r.sequence for r in greeter.lots_of_replies(pb.HelloRequest(name='Ada', count=3), timeout=10)]
    if sequences != [1, 2, 3]:
        return result(False, 'LotsOfReplies: sequences %r' % sequences)
    counted = greeter.lots_of_greetings(iter([pb.HelloRequest(name=n) for n in ('Ada', 'Bo', 'Cy')]), timeout=10)
    if counted.message != 'Hello, Ada, Bo, Cy! (3 greetings received)':
        return result(False, 'LotsOfGreetings: %r' % counted.message)
    # BidiHello in turn: the second name is sent only after the first reply came back.
    turn = threading.Event()
    def requests():
        yield pb.HelloRequest(name='Ada')
        turn.wait(10)
        yield pb.HelloRequest(name='Bo')
    messages = []
    for reply in greeter.bidi_hello(requests(), timeout=10):
        messages.append(reply.message)
        turn.set()
    if messages != ['Hello, Ada!', 'Hello, Bo!']:
        return result(False, 'BidiHello: %r' % messages)
    return result(True, 'SayHello, LotsOfReplies 1 2 3, LotsOfGreetings of 3, BidiHello in turn')


def metadata(greeter):
    _, call = greeter.unary_call.with_call(b'', timeout=10, metadata=((ECHO_INITIAL, 'matrix'), (ECHO_TRAILING, TRAILING_VALUE)))
    initial = [v for k, v in call.initial_metadata() if k == ECHO_INITIAL]
    trailing = [v for k, v in call.trailing_metadata() if k == ECHO_TRAILING]
    if initial != ['matrix'] or trailing != [TRAILING_VALUE]:
        return result(False, 'echoed: initial %r, trailing %r' % (initial, trailing))
    return result(True, 'both keys echoed: initial in the headers, binary in the trailers')


def deadline(greeter):
    started = time.monotonic()
    received = 0
    try:
        for _ in greeter.lots_of_replies(pb.HelloRequest(name='Ada', count=100, interval_ms=100), timeout=0.3):
            received += 1
        code = grpc.StatusCode.OK
    except grpc.RpcError as error:
        code = error.code()
    took = time.monotonic() - started
    detail = '%s after %d replies in %d ms' % (code.name, received, took * 1000)
    return result(code == grpc.StatusCode.DEADLINE_EXCEEDED and took < 3, detail)


def cancel(greeter):
    stop = threading.Event()
    def requests():
        yield pb.HelloRequest(name='Ada')
        stop.wait(10)
    call = greeter.bidi_hello(requests(), timeout=10)
    next(call)
    call.cancel()
    stop.set()
    if call.code() != grpc.StatusCode.CANCELLED:
        return result(False, 'after the cancel: %s' % call.code())
    greeter.say_hello(pb.HelloRequest(name='Ada'), timeout=10)
    return result(True, 'CANCELLED after one reply; the next SayHello OK')


def count_failures(futures, what):
    failures = [f.exception() for f in futures if f.exception() is not None]
    if failures:
        first = failures[0]
        return result(False, '%d of %d %s failed, first: %s %s' % (len(failures), len(futures), what, first.code().name, first.details()))
    return result(True, '%d %s OK' % (len(futures), what))


def big_then_200(greeter):
    try:
        greeter.say_hello(pb.HelloRequest(name='Ada', payload=bytes(5 << 20)), timeout=10)
        code = grpc.StatusCode.OK
    except grpc.RpcError as error:
        code = error.code()
    if code != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return result(False, 'the 5 MiB SayHello ended %s, not RESOURCE_EXHAUSTED' % code.name)
    futures = [greeter.say_hello.future(pb.HelloRequest(name='Ada'), timeout=10) for _ in range(200)]
    return count_failures(futures, 'concurrent SayHello after the 5 MiB one')


def stream_timing(greeter):
    arrivals = [time.monotonic() for _ in greeter.lots_of_replies(pb.HelloRequest(name='Ada', count=10, interval_ms=100), timeout=10)]
    gaps = sorted(int((b - a) * 1000) for a, b in zip(arrivals, arrivals[1:]))
    if len(gaps) != 9:
        return result(False, '%d replies, not 10' % len(arrivals))
    summary = 'gaps %d..%d ms, median %d' % (gaps[0], gaps[8], gaps[4])
    return result(gaps[0] >= 20, ('10 replies, ' if gaps[0] >= 20 else 'batched: ') + summary)


def sigterm(greeter):
    calls = [greeter.lots_of_replies(pb.HelloRequest(name='Ada', count=100, interval_ms=100), timeout=30) for _ in range(10)]
    for call in calls:
        next(call)
    print(json.dumps({'event': 'streaming'}), flush=True)
    seen = {}
    for call in calls:
        try:
            for _ in call:
                pass
        except grpc.RpcError:
            pass
        seen[call.code().name] = seen.get(call.code().name, 0) + 1
    ok = set(seen) <= {'OK', 'UNAVAILABLE'}
    return result(ok, 'the 10 streams ended %s' % seen)


def storm(greeter, seconds):
    long_calls = [greeter.lots_of_replies(pb.HelloRequest(name='Ada', count=1000000, interval_ms=100)) for _ in range(50)]
    counts = [0] * len(long_calls)
    def receive(index):
        try:
            for _ in long_calls[index]:
                counts[index] += 1
        except grpc.RpcError:
            pass
    readers = [threading.Thread(target=receive, args=(i,), daemon=True) for i in range(len(long_calls))]
    for reader in readers:
        reader.start()
    # A stream every 5 ms, each cancelled once its first reply is in. Not 5 ms after its start: grpcio then
    # sometimes resets a stream whose HEADERS it never sent, which an HTTP/2 server must answer by closing
    # the connection (RFC 9113 §6.4; Go's does), a fault of the client's (docs/interop.md).
    def cancel_after_first_reply(call):
        try:
            next(call)
        except (grpc.RpcError, StopIteration):
            pass
        call.cancel()
        return call
    futures = []
    with ThreadPoolExecutor(max_workers=32) as pool:
        end = time.monotonic() + seconds
        tick = time.monotonic()
        while tick < end:
            call = greeter.lots_of_replies(pb.HelloRequest(name='storm', count=1000, interval_ms=10), timeout=10)
            futures.append(pool.submit(cancel_after_first_reply, call))
            tick += 0.005
            time.sleep(max(0, tick - time.monotonic()))
    started = [f.result() for f in futures]
    failed = [c for c in started if c.code() != grpc.StatusCode.CANCELLED]
    before = list(counts)
    waited = 0
    while waited < 200 and any(a == b for a, b in zip(counts, before)):
        time.sleep(0.01)
        waited += 1
    stalled = sum(1 for a, b in zip(counts, before) if a == b)
    for call in long_calls:
        call.cancel()
    long_failed = [c for c in long_calls if c.code() != grpc.StatusCode.CANCELLED]
    problems = []
    if failed:
        problems.append('%d storm calls failed (first: %s %s)' % (len(failed), failed[0].code().name, failed[0].details()))
    if long_failed or stalled:
        first = long_failed[0] if long_failed else None
        problems.append('of the 50 long-lived streams %d ended early (first: %s), %d stalled'
                        % (len(long_failed), first and '%s %s' % (first.code().name, first.details()), stalled))
    summary = '%d cancels in %ds' % (len(started) - len(failed), seconds)
    if problems:
        return result(False, summary + '; ' + '; '.join(problems))
    return result(True, summary + ', none failed; 50 long-lived streams kept receiving')


CHECKS = {
    'shapes': shapes,
    'metadata': metadata,
    'deadline': deadline,
    'cancel': cancel,
    'big-then-200': big_then_200,
    'stream-timing': stream_timing,
    'sigterm': sigterm,
}


def main():
    check, target = sys.argv[1], sys.argv[2]
    storm_seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        greeter = Greeter(channel)
        try:
            outcome = storm(greeter, storm_seconds) if check == 'storm' else CHECKS[check](greeter)
        except grpc.RpcError as error:
            outcome = result(False, '%s %s' % (error.code().name, error.details()))
        print(json.dumps(outcome), flush=True)


main()
