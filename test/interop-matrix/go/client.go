package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "matrix/helloworld"
	testpb "matrix/testing"
)

const (
	echoInitial  = "x-grpc-test-echo-initial"
	echoTrailing = "x-grpc-test-echo-trailing-bin"
)

var trailingValue = string([]byte{0xab, 0xcd, 0xef})

type result struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func pass(format string, args ...interface{}) result {
	return result{true, fmt.Sprintf(format, args...)}
}
func fail(format string, args ...interface{}) result {
	return result{false, fmt.Sprintf(format, args...)}
}

func within(d time.Duration) context.Context {
	ctx, _ := context.WithTimeout(context.Background(), d) //nolint:govet // the process exits after one check
	return ctx
}

// runCheck runs one check over one connection to target.
func runCheck(check, target string, stormSeconds int) result {
	conn, err := grpc.DialContext(within(10*time.Second), target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fail("connect: %v", err)
	}
	defer conn.Close()
	greeter := pb.NewGreeterClient(conn)
	switch check {
	case "shapes":
		return shapes(greeter)
	case "metadata":
		return echoMetadata(testpb.NewTestServiceClient(conn))
	case "deadline":
		return deadline(greeter)
	case "cancel":
		return cancelMidStream(greeter)
	case "big-then-200":
		return bigThen200(greeter)
	case "stream-timing":
		return streamTiming(greeter)
	case "sigterm":
		return sigterm(greeter)
	case "storm":
		return storm(conn, greeter, time.Duration(stormSeconds)*time.Second)
	}
	return fail("no check named %q", check)
}

func shapes(greeter pb.GreeterClient) result {
	ctx := within(10 * time.Second)
	hello, err := greeter.SayHello(ctx, &pb.HelloRequest{Name: "Ada"})
	if err != nil || hello.Message != "Hello, Ada!" {
		return fail("SayHello: %v %v", hello, err)
	}
	replies, err := greeter.LotsOfReplies(ctx, &pb.HelloRequest{Name: "Ada", Count: 3})
	if err != nil {
		return fail("LotsOfReplies: %v", err)
	}
	var sequences []uint32
	for {
		reply, err := replies.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("LotsOfReplies after %v: %v", sequences, err)
		}
		sequences = append(sequences, reply.Sequence)
	}
	if fmt.Sprint(sequences) != "[1 2 3]" {
		return fail("LotsOfReplies: sequences %v", sequences)
	}
	greetings, err := greeter.LotsOfGreetings(ctx)
	if err != nil {
		return fail("LotsOfGreetings: %v", err)
	}
	for _, name := range []string{"Ada", "Bo", "Cy"} {
		greetings.Send(&pb.HelloRequest{Name: name})
	}
	counted, err := greetings.CloseAndRecv()
	if err != nil || counted.Message != "Hello, Ada, Bo, Cy! (3 greetings received)" {
		return fail("LotsOfGreetings: %v %v", counted, err)
	}
	bidi, err := greeter.BidiHello(ctx)
	if err != nil {
		return fail("BidiHello: %v", err)
	}
	for _, name := range []string{"Ada", "Bo"} {
		bidi.Send(&pb.HelloRequest{Name: name})
		reply, err := bidi.Recv()
		if err != nil || reply.Message != "Hello, "+name+"!" {
			return fail("BidiHello %s: %v %v", name, reply, err)
		}
	}
	bidi.CloseSend()
	if _, err := bidi.Recv(); err != io.EOF {
		return fail("BidiHello after the half-close: %v", err)
	}
	return pass("SayHello, LotsOfReplies 1 2 3, LotsOfGreetings of 3, BidiHello in turn")
}

func echoMetadata(service testpb.TestServiceClient) result {
	ctx := metadata.NewOutgoingContext(within(10*time.Second), metadata.Pairs(echoInitial, "matrix", echoTrailing, trailingValue))
	var header, trailer metadata.MD
	if _, err := service.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
		return fail("UnaryCall: %v", err)
	}
	initial, trailing := header.Get(echoInitial), trailer.Get(echoTrailing)
	if len(initial) != 1 || initial[0] != "matrix" || len(trailing) != 1 || !bytes.Equal([]byte(trailing[0]), []byte(trailingValue)) {
		return fail("echoed: initial %q, trailing %q", initial, trailing)
	}
	return pass("both keys echoed: initial in the headers, binary in the trailers")
}

func deadline(greeter pb.GreeterClient) result {
	started := time.Now()
	replies, err := greeter.LotsOfReplies(within(300*time.Millisecond), &pb.HelloRequest{Name: "Ada", Count: 100, IntervalMs: 100})
	received := 0
	for err == nil {
		_, err = replies.Recv()
		if err == nil {
			received++
		}
	}
	took := time.Since(started)
	if status.Code(err) != codes.DeadlineExceeded || took > 3*time.Second {
		return fail("ended %v after %d replies in %v", err, received, took)
	}
	return pass("DEADLINE_EXCEEDED after %d replies in %d ms", received, took.Milliseconds())
}

func cancelMidStream(greeter pb.GreeterClient) result {
	ctx, cancel := context.WithCancel(within(10 * time.Second))
	bidi, err := greeter.BidiHello(ctx)
	if err == nil {
		err = bidi.Send(&pb.HelloRequest{Name: "Ada"})
	}
	if err == nil {
		_, err = bidi.Recv()
	}
	if err != nil {
		cancel()
		return fail("before the cancel: %v", err)
	}
	cancel()
	if _, err = bidi.Recv(); status.Code(err) != codes.Canceled {
		return fail("after the cancel: %v", err)
	}
	if _, err := greeter.SayHello(within(10*time.Second), &pb.HelloRequest{Name: "Ada"}); err != nil {
		return fail("a SayHello after the cancel: %v", err)
	}
	return pass("CANCELLED after one reply; the next SayHello OK")
}

func bigThen200(greeter pb.GreeterClient) result {
	_, err := greeter.SayHello(within(10*time.Second), &pb.HelloRequest{Name: "Ada", Payload: make([]byte, 5<<20)})
	if status.Code(err) != codes.ResourceExhausted {
		return fail("the 5 MiB SayHello ended %v, not RESOURCE_EXHAUSTED", err)
	}
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		go func() {
			_, err := greeter.SayHello(within(10*time.Second), &pb.HelloRequest{Name: "Ada"})
			errs <- err
		}()
	}
	return countFailures(errs, 200, "concurrent SayHello after the 5 MiB one")
}

func countFailures(errs chan error, total int, what string) result {
	failed, first := 0, ""
	for i := 0; i < total; i++ {
		if err := <-errs; err != nil {
			failed++
			if first == "" {
				first = err.Error()
			}
		}
	}
	if failed > 0 {
		return fail("%d of %d %s failed, first: %s", failed, total, what, first)
	}
	return pass("%d %s OK", total, what)
}

func streamTiming(greeter pb.GreeterClient) result {
	replies, err := greeter.LotsOfReplies(within(10*time.Second), &pb.HelloRequest{Name: "Ada", Count: 10, IntervalMs: 100})
	if err != nil {
		return fail("LotsOfReplies: %v", err)
	}
	var arrivals []time.Time
	for {
		_, err := replies.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("after %d replies: %v", len(arrivals), err)
		}
		arrivals = append(arrivals, time.Now())
	}
	var gaps []int
	for i := 1; i < len(arrivals); i++ {
		gaps = append(gaps, int(arrivals[i].Sub(arrivals[i-1]).Milliseconds()))
	}
	return judgeGaps(gaps)
}

// judgeGaps: ten replies, none arriving within 20 ms of the one before (a path that batches them fails; a
// loaded machine's jitter of tens of milliseconds does not).
func judgeGaps(gaps []int) result {
	sorted := append([]int(nil), gaps...)
	sort.Ints(sorted)
	if len(gaps) != 9 {
		return fail("%d replies, not 10", len(gaps)+1)
	}
	summary := fmt.Sprintf("gaps %d..%d ms, median %d", sorted[0], sorted[8], sorted[4])
	if sorted[0] < 20 {
		return fail("batched: %s", summary)
	}
	return pass("10 replies, %s", summary)
}

func sigterm(greeter pb.GreeterClient) result {
	const streams = 10
	ends := make(chan error, streams)
	var started sync.WaitGroup
	started.Add(streams)
	for i := 0; i < streams; i++ {
		go func() {
			replies, err := greeter.LotsOfReplies(within(30*time.Second), &pb.HelloRequest{Name: "Ada", Count: 100, IntervalMs: 100})
			first := true
			for err == nil {
				_, err = replies.Recv()
				if first {
					first = false
					started.Done()
				}
			}
			ends <- err
		}()
	}
	started.Wait()
	printJSON(map[string]string{"event": "streaming"})
	codesSeen := map[string]int{}
	ok := true
	for i := 0; i < streams; i++ {
		code := status.Code(<-ends)
		if code == codes.Unknown {
			code = codes.OK // io.EOF: the stream ended with OK
		}
		codesSeen[code.String()]++
		ok = ok && (code == codes.OK || code == codes.Unavailable)
	}
	if !ok {
		return fail("the %d streams ended %v", streams, codesSeen)
	}
	return pass("the %d streams ended %v", streams, codesSeen)
}

// storm: a stream every 5 ms, each cancelled after its first reply or 5 ms, beside 50 long-lived streams.
func storm(conn *grpc.ClientConn, greeter pb.GreeterClient, duration time.Duration) result {
	var reconnects int32
	go func() {
		for state := conn.GetState(); conn.WaitForStateChange(context.Background(), state); state = conn.GetState() {
			if state == connectivity.Ready {
				atomic.AddInt32(&reconnects, 1)
			}
		}
	}()
	longCtx, stopLong := context.WithCancel(context.Background())
	const long = 50
	var counts [long]int32
	longEnds := make(chan error, long)
	for i := 0; i < long; i++ {
		go func(i int) {
			replies, err := greeter.LotsOfReplies(longCtx, &pb.HelloRequest{Name: "Ada", Count: 1000000, IntervalMs: 100})
			for err == nil {
				if _, err = replies.Recv(); err == nil {
					atomic.AddInt32(&counts[i], 1)
				}
			}
			longEnds <- err
		}(i)
	}
	var failed, cancelled int32
	var firstFailure atomic.Value
	var storm sync.WaitGroup
	ticker := time.NewTicker(5 * time.Millisecond)
	start := time.Now()
	// A tick that comes late starts every stream due by then, so the rate holds at 200 a second.
	for started := 0; started < int(duration/(5*time.Millisecond)); {
		<-ticker.C
		for due := int(time.Since(start) / (5 * time.Millisecond)); started < due; started++ {
			storm.Add(1)
			go stormCall(greeter, &storm, &cancelled, &failed, &firstFailure)
		}
	}
	ticker.Stop()
	storm.Wait()
	// Still receiving: every long-lived stream gets another reply within 2 s.
	var before [long]int32
	for i := range counts {
		before[i] = atomic.LoadInt32(&counts[i])
	}
	stalled := long
	for waited := 0; stalled > 0 && waited < 200; waited++ {
		time.Sleep(10 * time.Millisecond)
		stalled = 0
		for i := range counts {
			if atomic.LoadInt32(&counts[i]) == before[i] {
				stalled++
			}
		}
	}
	stopLong()
	longFailed, firstLongFailure := 0, ""
	for i := 0; i < long; i++ {
		if err := <-longEnds; status.Code(err) != codes.Canceled {
			longFailed++
			if firstLongFailure == "" {
				firstLongFailure = fmt.Sprint(err)
			}
		}
	}
	var problems []string
	if failed > 0 {
		problems = append(problems, fmt.Sprintf("%d storm calls failed (first: %v)", failed, firstFailure.Load()))
	}
	if longFailed > 0 || stalled > 0 {
		problems = append(problems, fmt.Sprintf("of the %d long-lived streams %d ended early (first: %s), %d stalled", long, longFailed, firstLongFailure, stalled))
	}
	if n := atomic.LoadInt32(&reconnects); n > 0 {
		problems = append(problems, fmt.Sprintf("the connection was replaced %d times", n))
	}
	summary := fmt.Sprintf("%d cancels in %v", cancelled, duration)
	if len(problems) > 0 {
		return fail("%s; %s", summary, strings.Join(problems, "; "))
	}
	return pass("%s, none failed; %d long-lived streams kept receiving", summary, long)
}

// stormCall is one stream of the storm: cancelled after its first reply or 5 ms, so it must end CANCELLED.
func stormCall(greeter pb.GreeterClient, storm *sync.WaitGroup, cancelled, failed *int32, firstFailure *atomic.Value) {
	defer storm.Done()
	ctx, cancel := context.WithCancel(within(10 * time.Second))
	timer := time.AfterFunc(5*time.Millisecond, cancel)
	defer timer.Stop()
	replies, err := greeter.LotsOfReplies(ctx, &pb.HelloRequest{Name: "storm", Count: 1000, IntervalMs: 10})
	if err == nil {
		_, err = replies.Recv()
		cancel()
		for err == nil {
			_, err = replies.Recv()
		}
	}
	if status.Code(err) == codes.Canceled {
		atomic.AddInt32(cancelled, 1)
	} else {
		atomic.AddInt32(failed, 1)
		firstFailure.CompareAndSwap(nil, fmt.Sprint(err))
	}
}
