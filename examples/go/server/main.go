// A net/http server with the jans-rs engine mounted at "/": Janssen's paths
// (/.well-known/openid-configuration, /jans-auth/restv1/authorize, .../token, ...) are
// served by the engine, inside this Go process, through libjans. The login and consent
// pages are this program's own (/login): the engine sends the browser there
// (interactionUri) and this program answers each step through the interaction API.
//
//	go run ./server -listen 127.0.0.1:8090 -user alice -password 'correct horse battery'
//	curl -u "$ID:$SECRET" -d grant_type=client_credentials http://127.0.0.1:8090/jans-auth/restv1/token
//
// At start it registers a client_credentials client and prints its credentials.
package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/JanssenProject/jans-rs/jans-ffi/go/jans"
)

// page is the one template of every step: a form that posts the step's answer back.
var page = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="interaction" value="{{.ID}}">
<input type="hidden" name="csrf" value="{{.View.CSRF}}">
{{if eq .View.Stage "login"}}
<h1>Sign in to {{if .View.ClientName}}{{.View.ClientName}}{{else}}{{.View.ClientID}}{{end}}</h1>
<label>Username <input name="username" autocomplete="username" value="{{.View.LoginHint}}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button name="action" value="login">Sign in</button>
{{else if eq .View.Stage "consent"}}
<h1>Allow {{if .View.ClientName}}{{.View.ClientName}}{{else}}{{.View.ClientID}}{{end}}?</h1>
<ul>{{range .View.Scopes}}<li>{{.}}</li>{{end}}</ul>
<label><input type="checkbox" name="remember" value="1"> Remember my choice</label>
<button name="action" value="allow">Allow</button>
<button name="action" value="deny">Deny</button>
{{else}}
<h1>Choose an account</h1>
{{range .View.Accounts}}<button name="account" value="{{.Index}}">{{.UID}}</button>{{end}}
<button name="account" value="">Another account</button>
<input type="hidden" name="action" value="select">
{{end}}
</form></main></body></html>`))

// app serves the engine and the login pages.
type app struct {
	engine *jans.Engine
}

// newMux mounts the engine at "/" and the pages at "/login".
func newMux(engine *jans.Engine) *http.ServeMux {
	a := &app{engine: engine}
	mux := http.NewServeMux()
	mux.HandleFunc("/health/live", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"UP"}`))
	})
	mux.HandleFunc("/login", a.login)
	mux.Handle("/", engine)
	return mux
}

// browserSessions are the session cookie values the browser sent.
func browserSessions(r *http.Request) []string {
	var out []string
	for _, c := range r.Cookies() {
		if c.Name == "session_id" && c.Value != "" {
			out = append(out, c.Value)
		}
	}
	return out
}

func (a *app) render(w http.ResponseWriter, r *http.Request, id, message string, status int) {
	view, err := a.engine.Interaction(id, browserSessions(r)...)
	if err != nil {
		http.Error(w, "This sign-in request is unknown or has expired.", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = page.Execute(w, map[string]any{"ID": id, "View": view, "Error": message})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		a.render(w, r, r.URL.Query().Get("interaction"), "", http.StatusOK)
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		id, csrf := r.PostForm.Get("interaction"), r.PostForm.Get("csrf")
		var result *jans.InteractionResult
		var err error
		switch action := r.PostForm.Get("action"); action {
		case "login":
			result, err = a.engine.Login(id, csrf, r.PostForm.Get("username"), r.PostForm.Get("password"))
		case "allow", "deny":
			result, err = a.engine.Consent(id, csrf, action == "allow", r.PostForm.Get("remember") != "")
		case "select":
			// The account's position among the browser's sessions ("": another account).
			chosen, sessions := "", browserSessions(r)
			if i, perr := strconv.Atoi(r.PostForm.Get("account")); perr == nil && i >= 0 && i < len(sessions) {
				chosen = sessions[i]
			}
			result, err = a.engine.SelectAccount(id, csrf, chosen)
		default:
			http.Error(w, "unknown action", http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, strings.TrimPrefix(err.Error(), "jans: "), http.StatusBadRequest)
			return
		}
		switch result.Outcome {
		case "done":
			result.Response.Write(w, false)
		case "retry":
			a.render(w, r, id, fmt.Sprintf("Wrong username or password. %d attempts left.", result.Remaining), http.StatusUnauthorized)
		case "wait":
			w.Header().Set("Retry-After", fmt.Sprint(result.Seconds))
			a.render(w, r, id, fmt.Sprintf("Too many attempts. Try again in %d seconds.", result.Seconds), http.StatusTooManyRequests)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	issuer := flag.String("issuer", "", "issuer URL (default http://<listen>)")
	dataDir := flag.String("data-dir", "", "data directory (default: in memory)")
	user := flag.String("user", "", "add this user at start (with -password)")
	password := flag.String("password", "", "the added user's password")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *issuer == "" {
		*issuer = "http://" + ln.Addr().String()
	}
	engine, err := jans.NewEngine(jans.Config{
		Properties: map[string]any{"issuer": *issuer, "interactionUri": *issuer + "/login"},
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
	if *user != "" {
		if _, err := engine.AddUser(map[string]any{"uid": *user}, *password); err != nil {
			log.Fatal(err)
		}
	}

	srv := &http.Server{Handler: newMux(engine), ReadHeaderTimeout: 10 * time.Second}
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
