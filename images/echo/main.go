// Command shoal-echo is the test application shoal's own tests deploy: a
// tiny HTTP server answering GET / with its version and pod name, with a
// /healthz endpoint. On SIGTERM it fails /healthz and keeps serving for
// DRAIN_DELAY (default 3s: time for the endpoint to leave every node's
// proxy rules), then finishes in-flight requests and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at link time (-X main.version=v2).
var version = "v1"

func handler(version, pod string, draining *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "shoal-echo %s %s\n", version, pod)
	})
	return mux
}

func main() {
	if len(os.Args) > 1 && os.Args[1] != "" && os.Args[1][0] == '-' {
		os.Exit(tool(os.Args[1:]))
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	delay := 3 * time.Second
	if d, err := time.ParseDuration(os.Getenv("DRAIN_DELAY")); err == nil {
		delay = d
	}
	var draining atomic.Bool
	srv := &http.Server{Addr: ":" + port, Handler: handler(version, os.Getenv("HOSTNAME"), &draining), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		draining.Store(true)
		time.Sleep(delay)
		// Drain: stop accepting, finish what is in flight.
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("shoal-echo %s listening on :%s", version, port)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// tool is what tests run through `kubectl exec` in an image with no shell:
// -version, -write FILE TEXT, -cat FILE, -resolve NAME, -get URL.
func tool(args []string) int {
	var err error
	switch {
	case args[0] == "-version":
		fmt.Println("shoal-echo", version)
	case args[0] == "-write" && len(args) == 3:
		err = os.WriteFile(args[1], []byte(args[2]), 0o644)
	case args[0] == "-resolve" && len(args) == 2:
		var addrs []string
		if addrs, err = net.LookupHost(args[1]); err == nil {
			fmt.Println(strings.Join(addrs, " "))
		}
	case args[0] == "-get" && len(args) == 2:
		c := &http.Client{Timeout: 5 * time.Second}
		var resp *http.Response
		if resp, err = c.Get(args[1]); err == nil {
			defer resp.Body.Close()
			_, err = io.Copy(os.Stdout, resp.Body)
		}
	case args[0] == "-cat" && len(args) == 2:
		var b []byte
		if b, err = os.ReadFile(args[1]); err == nil {
			os.Stdout.Write(b)
		}
	default:
		err = fmt.Errorf("usage: shoal-echo [-version | -write FILE TEXT | -cat FILE | -resolve NAME | -get URL]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
