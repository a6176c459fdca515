package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "matrix/helloworld"
	testpb "matrix/testing"
)

// greeter answers as the project's Greeter does, for what the matrix's checks look at.
type greeter struct {
	pb.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, request *pb.HelloRequest) (*pb.HelloResponse, error) {
	if request.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	return &pb.HelloResponse{Message: fmt.Sprintf("Hello, %s!", request.Name), Sequence: 1}, nil
}

func (greeter) LotsOfReplies(request *pb.HelloRequest, stream pb.Greeter_LotsOfRepliesServer) error {
	count := request.Count
	if count == 0 {
		count = 10
	}
	for sent := uint32(1); sent <= count; sent++ {
		if sent > 1 && request.IntervalMs > 0 {
			select {
			case <-stream.Context().Done():
				return stream.Context().Err()
			case <-time.After(time.Duration(request.IntervalMs) * time.Millisecond):
			}
		}
		message := fmt.Sprintf("Hello, %s! (%d of %d)", request.Name, sent, count)
		if err := stream.Send(&pb.HelloResponse{Message: message, Sequence: sent}); err != nil {
			return err
		}
	}
	return nil
}

func (greeter) LotsOfGreetings(stream pb.Greeter_LotsOfGreetingsServer) error {
	var names []string
	for {
		request, err := stream.Recv()
		if err == io.EOF {
			message := fmt.Sprintf("Hello, %s! (%d greetings received)", strings.Join(names, ", "), len(names))
			return stream.SendAndClose(&pb.HelloResponse{Message: message, Sequence: uint32(len(names))})
		}
		if err != nil {
			return err
		}
		names = append(names, request.Name)
	}
}

func (greeter) BidiHello(stream pb.Greeter_BidiHelloServer) error {
	for sequence := uint32(1); ; sequence++ {
		request, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&pb.HelloResponse{Message: fmt.Sprintf("Hello, %s!", request.Name), Sequence: sequence}); err != nil {
			return err
		}
	}
}

// echo answers UnaryCall as gRPC's interop suite asks: the two echo keys sent back.
type echo struct {
	testpb.UnimplementedTestServiceServer
}

func (echo) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	incoming, _ := metadata.FromIncomingContext(ctx)
	if values := incoming.Get(echoInitial); len(values) > 0 {
		grpc.SetHeader(ctx, metadata.Pairs(echoInitial, values[0]))
	}
	if values := incoming.Get(echoTrailing); len(values) > 0 {
		grpc.SetTrailer(ctx, metadata.Pairs(echoTrailing, values[0]))
	}
	return &testpb.SimpleResponse{}, nil
}

// serve runs until SIGTERM, then drains as the project's server does: a second's grace, then the rest ended.
func serve(listener net.Listener) {
	server := grpc.NewServer(grpc.MaxConcurrentStreams(100))
	pb.RegisterGreeterServer(server, greeter{})
	testpb.RegisterTestServiceServer(server, echo{})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		stopped := make(chan struct{})
		go func() { server.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(time.Second):
			server.Stop()
		}
	}()
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
