package lab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"
)

// Body of the health-check path of `vigil lab httpd`.
const healthBody = "ok\n"

// HTTPHandler answers every path with the server's name (one line), and
// /healthz with "ok": the client of a drill learns from the body which
// real server IPVS chose, and the directors' checks get a cheap 200.
func HTTPHandler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, healthBody)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Served-By", name)
		_, _ = io.WriteString(w, name+"\n")
	})
	return mux
}

// runHTTPD is the hidden `vigil lab httpd` subcommand that real servers
// run: it serves until ctx ends.
func runHTTPD(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab httpd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the name to answer with (required)")
	listen := fs.String("listen", ":80", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *name == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: vigil lab httpd -name NAME [-listen :80]")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "vigil lab httpd: %v\n", err)
		return exitFail
	}
	srv := &http.Server{
		Handler:           HTTPHandler(*name),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       5 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "vigil lab httpd: %s serving on %s\n", *name, ln.Addr())
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "vigil lab httpd: %v\n", err)
		return exitFail
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "vigil lab httpd: %v\n", err)
	}
	return exitOK
}
