package main

import (
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// proxy forwards every request to upstream over one pool of h2c connections, flushing each chunk at
// once (FlushInterval -1), which is how Knative's queue-proxy forwards to the container.
func proxy(listener net.Listener, upstream string) {
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	forward.FlushInterval = -1
	forward.Transport = &http2.Transport{
		AllowHTTP: true,
		DialTLS: func(network, address string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, address)
		},
	}
	forward.ErrorLog = log.New(os.Stderr, "proxy: ", 0)
	server := &http.Server{Handler: h2c.NewHandler(forward, &http2.Server{})}
	log.Fatal(server.Serve(listener))
}
