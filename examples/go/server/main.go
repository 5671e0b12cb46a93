// A net/http server with the jans-rs engine mounted at "/": Janssen's paths
// (/.well-known/openid-configuration, /jans-auth/restv1/token, ...) are served by the
// engine, inside this Go process, through libjans.
//
//	go run ./server -listen 127.0.0.1:8090
//	curl -u "$ID:$SECRET" -d grant_type=client_credentials http://127.0.0.1:8090/jans-auth/restv1/token
//
// At start it registers a client_credentials client and prints its credentials.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/JanssenProject/jans-rs/jans-ffi/go/jans"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	issuer := flag.String("issuer", "", "issuer URL (default http://<listen>)")
	dataDir := flag.String("data-dir", "", "data directory (default: in memory)")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *issuer == "" {
		*issuer = "http://" + ln.Addr().String()
	}
	engine, err := jans.NewEngine(jans.Config{
		Properties: map[string]any{"issuer": *issuer},
		DataDir:    *dataDir,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()

	client, err := engine.RegisterClient(map[string]any{
		"client_name": "go example",
		"grant_types": []string{"client_credentials"},
		"scope":       "read",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("client_id=%s\nclient_secret=%s\n", client["client_id"], client["client_secret"])

	mux := http.NewServeMux()
	mux.HandleFunc("/health/live", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"UP"}`))
	})
	mux.Handle("/", engine)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	fmt.Printf("listening on %s (issuer %s, libjans %s)\n", ln.Addr(), *issuer, jans.Version())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
