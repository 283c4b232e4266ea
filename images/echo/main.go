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
	"log"
	"net/http"
	"os"
	"os/signal"
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
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println("shoal-echo", version)
		return
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
