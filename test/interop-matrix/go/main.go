// The Go side of the interop matrix (test/interop-matrix/run.ts), one binary built in GOPATH mode
// against Debian's grpc-go (1.33) and golang.org/x/net:
//
//	matrix client CHECK TARGET [STORM_SECONDS]   one check with a grpc-go client; prints one JSON result line
//	matrix server                                a grpc-go Greeter on 127.0.0.1:0, the reference server
//	matrix proxy UPSTREAM                        httputil.ReverseProxy over h2c on 127.0.0.1:0, as Knative's queue-proxy
//
// The server and the proxy print {"port": N} once they listen.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
)

func printJSON(value interface{}) {
	line, _ := json.Marshal(value)
	fmt.Println(string(line))
}

func listenLoopback() net.Listener {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	printJSON(map[string]int{"port": listener.Addr().(*net.TCPAddr).Port})
	return listener
}

func main() {
	usage := "usage: matrix client CHECK TARGET [STORM_SECONDS] | matrix server | matrix proxy UPSTREAM"
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch {
	case os.Args[1] == "client" && len(os.Args) >= 4:
		stormSeconds := 8
		if len(os.Args) > 4 {
			fmt.Sscan(os.Args[4], &stormSeconds)
		}
		printJSON(runCheck(os.Args[2], os.Args[3], stormSeconds))
	case os.Args[1] == "server":
		serve(listenLoopback())
	case os.Args[1] == "proxy" && len(os.Args) == 3:
		proxy(listenLoopback(), os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
}
