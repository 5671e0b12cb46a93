// Package jans embeds the jans-rs identity engine (OAuth 2.0 authorization server and
// OpenID Connect provider, at Janssen's paths) in a Go program through libjans, its C ABI.
//
// An Engine answers HTTP requests given as values (Handle) or mounted as an http.Handler
// (ServeHTTP), and offers the operations embedders call most: VerifyToken (local JWT
// verification against the engine's keys), Introspect, RegisterClient, AddUser, and the
// interaction API (Interaction, Login, Consent, SelectAccount) with which a program that
// serves its own login pages finishes a browser login.
//
// Building needs libjans and its pkg-config file: `make -C jans-ffi lib pc` in the jans-rs
// tree, then PKG_CONFIG_PATH=<tree>/target/release/pkgconfig (or `make install`).
//
// An Engine is safe for concurrent use by many goroutines.
package jans

/*
#cgo pkg-config: jans
#include <stdlib.h>
#include "jans.h"
*/
import "C"

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Status is a libjans status code (JansStatus in jans.h).
type Status int

// The status codes of jans.h.
const (
	StatusOK              Status = C.JANS_STATUS_OK
	StatusNullArgument    Status = C.JANS_STATUS_NULL_ARGUMENT
	StatusInvalidUTF8     Status = C.JANS_STATUS_INVALID_UTF8
	StatusInvalidJSON     Status = C.JANS_STATUS_INVALID_JSON
	StatusTooLarge        Status = C.JANS_STATUS_TOO_LARGE
	StatusUnknownEngine   Status = C.JANS_STATUS_UNKNOWN_ENGINE
	StatusInvalidArgument Status = C.JANS_STATUS_INVALID_ARGUMENT
	StatusStore           Status = C.JANS_STATUS_STORE
	StatusTokenInvalid    Status = C.JANS_STATUS_TOKEN_INVALID
	StatusInternal        Status = C.JANS_STATUS_INTERNAL
	StatusPanic           Status = C.JANS_STATUS_PANIC
)

var statusNames = map[Status]string{
	StatusOK:              "ok",
	StatusNullArgument:    "null argument",
	StatusInvalidUTF8:     "invalid UTF-8",
	StatusInvalidJSON:     "invalid JSON",
	StatusTooLarge:        "too large",
	StatusUnknownEngine:   "unknown engine",
	StatusInvalidArgument: "invalid argument",
	StatusStore:           "store failure",
	StatusTokenInvalid:    "invalid token",
	StatusInternal:        "internal error",
	StatusPanic:           "panic",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status %d", int(s))
}

// Error is a failed libjans call: its status and the library's message.
type Error struct {
	Op      string
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("jans: %s: %s: %s", e.Op, e.Status, e.Message)
}

// Is makes errors.Is(err, ErrTokenInvalid) and the other sentinels match by status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Status == e.Status
}

// Sentinels for errors.Is.
var (
	// ErrTokenInvalid: VerifyToken refused the token (bad signature, expired, wrong
	// audience, not one of this engine's tokens).
	ErrTokenInvalid = &Error{Status: StatusTokenInvalid}
	// ErrInvalidArgument: a configuration value, request field or client metadata that
	// the engine refuses; the message starts with the OAuth error code where there is one.
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument}
	// ErrStore: the store failed or could not be opened (e.g. a data directory in use).
	ErrStore = &Error{Status: StatusStore}
	// ErrClosed: the engine was closed.
	ErrClosed = &Error{Status: StatusUnknownEngine}
)

// Version is the version of the linked libjans.
func Version() string {
	return C.GoString(C.jans_version())
}

// call runs one libjans function that fills a JansBuf, on a locked OS thread so that
// jans_last_error (kept per thread) belongs to this call.
func call(op string, f func(out *C.JansBuf) C.JansStatus) ([]byte, error) {
	var out C.JansBuf
	status, message := func() (C.JansStatus, string) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		s := f(&out)
		if s != C.JANS_STATUS_OK {
			return s, C.GoString(C.jans_last_error())
		}
		return s, ""
	}()
	if status != C.JANS_STATUS_OK {
		return nil, &Error{Op: op, Status: Status(status), Message: message}
	}
	defer C.jans_buf_free(&out)
	if out.data == nil {
		return []byte{}, nil
	}
	return C.GoBytes(unsafe.Pointer(out.data), C.int(out.len)), nil
}

// cstring is a C copy of s, freed by the returned function. A NUL inside s would cut the
// C string short (an audience "a\x00b" would be checked as "a"), so it is refused.
func cstring(op, what, s string) (*C.char, func(), error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, nil, &Error{Op: op, Status: StatusInvalidArgument, Message: what + " contains a NUL byte"}
	}
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }, nil
}

// Config says how to build an Engine.
type Config struct {
	// Properties is the server configuration with Janssen's property names, e.g.
	// {"issuer": "https://id.example.com", "accessTokenLifetime": 600}. Nil takes every
	// default.
	Properties map[string]any
	// DataDir holds the embedded database, keys and master key, in the layout of
	// `jans serve --data-dir`. Empty: everything in memory, gone on Close.
	DataDir string
}

// Engine is one jans-rs engine. Close it when done.
type Engine struct {
	mu sync.RWMutex // held for reading by calls, for writing by Close
	id C.uint64_t
}

// NewEngine builds and starts an engine: signing keys are loaded or generated.
func NewEngine(cfg Config) (*Engine, error) {
	props := cfg.Properties
	if props == nil {
		props = map[string]any{}
	}
	doc, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("jans: configuration: %w", err)
	}
	cdoc, free, err := cstring("new engine", "configuration", string(doc))
	if err != nil {
		return nil, err
	}
	defer free()
	var dir *C.char
	if cfg.DataDir != "" {
		d, freeDir, err := cstring("new engine", "data directory", cfg.DataDir)
		if err != nil {
			return nil, err
		}
		defer freeDir()
		dir = d
	}
	var id C.uint64_t
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if s := C.jans_engine_new(cdoc, dir, &id); s != C.JANS_STATUS_OK {
		return nil, &Error{Op: "new engine", Status: Status(s), Message: C.GoString(C.jans_last_error())}
	}
	return &Engine{id: id}, nil
}

// Close frees the engine. Calls in progress finish first; later calls return ErrClosed.
// Closing twice is harmless.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.id == 0 {
		return nil
	}
	id := e.id
	e.id = 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if s := C.jans_engine_free(id); s != C.JANS_STATUS_OK {
		return &Error{Op: "close", Status: Status(s), Message: C.GoString(C.jans_last_error())}
	}
	return nil
}

// withID runs f with the engine's id, or fails with ErrClosed.
func (e *Engine) withID(op string, f func(id C.uint64_t) ([]byte, error)) ([]byte, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.id == 0 {
		return nil, &Error{Op: op, Status: StatusUnknownEngine, Message: "engine closed"}
	}
	return f(e.id)
}

// Request is an HTTP request for Handle.
type Request struct {
	Method string
	// Path, e.g. "/jans-auth/restv1/token"; it may carry "?query" instead of Query.
	Path  string
	Query string
	// Header as net/http keeps it; repeated values are kept.
	Header http.Header
	Body   []byte
	// PeerAddr is the client's "ip:port", if known.
	PeerAddr string
	// ClientCertDER is the client's TLS certificate when mutual TLS was used.
	ClientCertDER []byte
	// ClientCertChainDER are the intermediate certificates the client sent after it.
	ClientCertChainDER [][]byte
}

// Response is the engine's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

type wireRequest struct {
	Method        string              `json:"method"`
	Path          string              `json:"path"`
	Query         string              `json:"query,omitempty"`
	Headers       map[string][]string `json:"headers,omitempty"`
	Body          *string             `json:"body,omitempty"`
	BodyBase64    []byte              `json:"body_base64,omitempty"`
	PeerAddr      string              `json:"peer_addr,omitempty"`
	ClientCertDER []byte              `json:"client_cert_der,omitempty"`
	ClientChain   [][]byte            `json:"client_cert_chain_der,omitempty"`
}

type wireResponse struct {
	Status     int         `json:"status"`
	Headers    [][2]string `json:"headers"`
	Body       *string     `json:"body"`
	BodyBase64 *string     `json:"body_base64"`
}

// Handle serves one request: Janssen's paths behave exactly as over HTTP. Protocol errors
// (invalid_client, invalid_grant, ...) are responses with a 4xx status; an error means the
// request itself could not be passed to the engine.
func (e *Engine) Handle(req *Request) (*Response, error) {
	w := wireRequest{
		Method:        req.Method,
		Path:          req.Path,
		Query:         req.Query,
		Headers:       req.Header,
		PeerAddr:      req.PeerAddr,
		ClientCertDER: req.ClientCertDER,
		ClientChain:   req.ClientCertChainDER,
	}
	if len(req.Body) > 0 {
		if utf8.Valid(req.Body) {
			b := string(req.Body)
			w.Body = &b
		} else {
			w.BodyBase64 = req.Body
		}
	}
	doc, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("jans: handle: %w", err)
	}
	creq, free, err := cstring("handle", "request", string(doc))
	if err != nil {
		return nil, err
	}
	defer free()
	out, err := e.withID("handle", func(id C.uint64_t) ([]byte, error) {
		return call("handle", func(buf *C.JansBuf) C.JansStatus { return C.jans_handle(id, creq, buf) })
	})
	if err != nil {
		return nil, err
	}
	var wr wireResponse
	if err := json.Unmarshal(out, &wr); err != nil {
		return nil, fmt.Errorf("jans: handle: response: %w", err)
	}
	return wr.decode("handle")
}

// decode turns a response document of libjans into a Response.
func (wr *wireResponse) decode(op string) (*Response, error) {
	resp := &Response{Status: wr.Status, Header: http.Header{}}
	for _, h := range wr.Headers {
		resp.Header.Add(h[0], h[1])
	}
	switch {
	case wr.Body != nil:
		resp.Body = []byte(*wr.Body)
	case wr.BodyBase64 != nil:
		var err error
		if resp.Body, err = base64.StdEncoding.DecodeString(*wr.BodyBase64); err != nil {
			return nil, fmt.Errorf("jans: %s: body: %w", op, err)
		}
	}
	return resp, nil
}

// Write sends the response to w: its headers (set-cookie, location, the page's CSP), its
// status and, unless head, its body.
func (r *Response) Write(w http.ResponseWriter, head bool) {
	for name, values := range r.Header {
		for _, v := range values {
			w.Header().Add(name, v)
		}
	}
	w.WriteHeader(r.Status)
	if !head {
		_, _ = w.Write(r.Body)
	}
}

// maxBody is the largest request body the engine takes (as `jans serve`).
const maxBody = 64 << 10

// ServeHTTP mounts the engine in a net/http server: http.Handle("/", engine).
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(w, `{"error":"invalid_request","error_description":"cannot read the body"}`, http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"error":"invalid_request","error_description":"body too large"}`)
		return
	}
	req := &Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Query:    r.URL.RawQuery,
		Header:   r.Header,
		Body:     body,
		PeerAddr: r.RemoteAddr,
	}
	if _, _, err := net.SplitHostPort(r.RemoteAddr); err != nil {
		req.PeerAddr = ""
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.ClientCertDER = r.TLS.PeerCertificates[0].Raw
		for _, c := range r.TLS.PeerCertificates[1:] {
			req.ClientCertChainDER = append(req.ClientCertChainDER, c.Raw)
		}
	}
	resp, err := e.Handle(req)
	if err != nil {
		var je *Error
		status := http.StatusInternalServerError
		if errors.As(err, &je) && je.Status != StatusInternal && je.Status != StatusPanic && je.Status != StatusUnknownEngine {
			status = http.StatusBadRequest
		}
		if errors.Is(err, ErrClosed) {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		code := "invalid_request"
		if status >= 500 {
			code = "server_error"
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
		return
	}
	resp.Write(w, r.Method == http.MethodHead)
}

// VerifyToken verifies a JWT access token (RFC 9068) or ID token of this engine locally
// (signature, typ, iss, exp/nbf/iat, and aud when audience is not empty) and returns its
// claims. It reads no store, so it cannot see revocation: use Introspect for that.
// A refused token gives an error matching ErrTokenInvalid.
func (e *Engine) VerifyToken(token, audience string) (map[string]any, error) {
	ctok, free, err := cstring("verify token", "token", token)
	if err != nil {
		return nil, err
	}
	defer free()
	var caud *C.char
	if audience != "" {
		a, freeAud, err := cstring("verify token", "audience", audience)
		if err != nil {
			return nil, err
		}
		defer freeAud()
		caud = a
	}
	out, err := e.withID("verify token", func(id C.uint64_t) ([]byte, error) {
		return call("verify token", func(buf *C.JansBuf) C.JansStatus {
			return C.jans_token_verify(id, ctok, caud, buf)
		})
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// VerifyTokenDPoP verifies a DPoP-bound JWT access token (RFC 9449 §7.1) presented with
// the DPoP scheme and proof (the request's DPoP header) on a request method to url
// (without query or fragment): the token passes VerifyToken's checks and is bound to a key
// (cnf.jkt), and the proof is of that key, for this method, URL and token, recent, and
// used for the first time. VerifyToken refuses DPoP-bound tokens. A refused token or proof
// gives an error matching ErrTokenInvalid.
func (e *Engine) VerifyTokenDPoP(token, proof, method, url, audience string) (map[string]any, error) {
	const op = "verify DPoP token"
	var frees []func()
	defer func() {
		for _, f := range frees {
			f()
		}
	}()
	args := make([]*C.char, 4)
	for i, a := range []struct{ name, value string }{
		{"token", token}, {"proof", proof}, {"method", method}, {"url", url},
	} {
		c, free, err := cstring(op, a.name, a.value)
		if err != nil {
			return nil, err
		}
		frees = append(frees, free)
		args[i] = c
	}
	var caud *C.char
	if audience != "" {
		a, free, err := cstring(op, "audience", audience)
		if err != nil {
			return nil, err
		}
		frees = append(frees, free)
		caud = a
	}
	out, err := e.withID(op, func(id C.uint64_t) ([]byte, error) {
		return call(op, func(buf *C.JansBuf) C.JansStatus {
			return C.jans_token_verify_dpop(id, args[0], args[1], args[2], args[3], caud, buf)
		})
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// VerifyTokenMTLS verifies a certificate-bound JWT access token (RFC 8705 §3) presented over
// a mutual-TLS connection whose client certificate is certDER (for a net/http server,
// r.TLS.PeerCertificates[0].Raw): the token passes VerifyToken's checks and its
// cnf.x5t#S256 is that certificate's SHA-256 thumbprint. VerifyToken refuses
// certificate-bound tokens. A refused token gives an error matching ErrTokenInvalid.
func (e *Engine) VerifyTokenMTLS(token string, certDER []byte, audience string) (map[string]any, error) {
	const op = "verify certificate-bound token"
	ctok, free, err := cstring(op, "token", token)
	if err != nil {
		return nil, err
	}
	defer free()
	var caud *C.char
	if audience != "" {
		a, freeAud, err := cstring(op, "audience", audience)
		if err != nil {
			return nil, err
		}
		defer freeAud()
		caud = a
	}
	ccert := C.CBytes(certDER)
	defer C.free(ccert)
	out, err := e.withID(op, func(id C.uint64_t) ([]byte, error) {
		return call(op, func(buf *C.JansBuf) C.JansStatus {
			return C.jans_token_verify_mtls(id, ctok, (*C.uint8_t)(ccert), C.size_t(len(certDER)), caud, buf)
		})
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// Introspect answers as RFC 7662 §2.2 for token, as the server itself: {"active": true,
// "client_id": ..., "scope": ..., "exp": ...} or {"active": false}.
func (e *Engine) Introspect(token string) (map[string]any, error) {
	ctok, free, err := cstring("introspect", "token", token)
	if err != nil {
		return nil, err
	}
	defer free()
	out, err := e.withID("introspect", func(id C.uint64_t) ([]byte, error) {
		return call("introspect", func(buf *C.JansBuf) C.JansStatus { return C.jans_introspect(id, ctok, buf) })
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// RegisterClient registers a client from RFC 7591 metadata and returns its client
// information, with "client_secret" in clear (shown this once) when the client uses one.
func (e *Engine) RegisterClient(metadata map[string]any) (map[string]any, error) {
	doc, err := json.Marshal(metadata)
	if err != nil {
		return nil, fmt.Errorf("jans: register client: %w", err)
	}
	cdoc, free, err := cstring("register client", "metadata", string(doc))
	if err != nil {
		return nil, err
	}
	defer free()
	out, err := e.withID("register client", func(id C.uint64_t) ([]byte, error) {
		return call("register client", func(buf *C.JansBuf) C.JansStatus {
			return C.jans_client_register(id, cdoc, buf)
		})
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// AddUser adds a person who can sign in: Janssen's person attributes ({"uid": "alice",
// "mail": ..., "given_name": ...}; the inum is assigned) and a password (argon2id). It
// returns the stored user without its hash.
func (e *Engine) AddUser(user map[string]any, password string) (map[string]any, error) {
	doc, err := json.Marshal(user)
	if err != nil {
		return nil, fmt.Errorf("jans: add user: %w", err)
	}
	cdoc, free, err := cstring("add user", "user", string(doc))
	if err != nil {
		return nil, err
	}
	defer free()
	cpw, freePw, err := cstring("add user", "password", password)
	if err != nil {
		return nil, err
	}
	defer freePw()
	out, err := e.withID("add user", func(id C.uint64_t) ([]byte, error) {
		return call("add user", func(buf *C.JansBuf) C.JansStatus {
			return C.jans_user_add(id, cdoc, cpw, buf)
		})
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(out)
}

// Interaction is the pending step of a browser login, for a program that serves its own
// login pages (configure "interactionUri" to the page; the authorization endpoint sends the
// browser there with ?interaction=ID).
type Interaction struct {
	// Stage is "login", "second_factor", "consent", "select_account" or "create".
	Stage      string   `json:"stage"`
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name"`
	Scopes     []string `json:"scopes"`
	// CSRF must be posted back with the answer.
	CSRF      string    `json:"csrf"`
	LoginHint string    `json:"login_hint"`
	Accounts  []Account `json:"accounts"`
	// Acr is the sign-in method asked: "simple_password_auth", "passkey", "fido2", "otp"
	// or "casa".
	Acr string `json:"acr"`
	// Factors, at "second_factor", are the second factors offered, the one asked for
	// first: "fido2", "otp" or "recovery_code" (the last two answered with OneTimeCode).
	Factors []string `json:"factors"`
}

// Account is one of the browser's signed-in accounts (stage "select_account").
type Account struct {
	Index int    `json:"index"`
	UID   string `json:"uid"`
	Name  string `json:"name"`
}

// InteractionResult is what answering a step did.
type InteractionResult struct {
	// Outcome is "done" (send Response to the browser), "retry" (wrong credentials:
	// Remaining attempts left), "wait" (the brute-force delay applies: Seconds to wait),
	// "refused" (a "create" step: the account was not created, Message says why) or
	// "changed" (ChooseFactor: read the step again).
	Outcome   string
	Response  *Response
	Remaining int
	Seconds   int
	Message   string
}

// NewAccount is what a person gives at a "create" step (prompt=create).
type NewAccount struct {
	Username   string
	Email      string
	GivenName  string
	FamilyName string
	Password   string
}

// Interaction reads the pending step id; sessions (optional) are the browser's session
// cookie values, listed back as Accounts for "select_account".
func (e *Engine) Interaction(id string, sessions ...string) (*Interaction, error) {
	if sessions == nil {
		sessions = []string{}
	}
	out, err := e.interactionCall("interaction", map[string]any{"interaction": id, "sessions": sessions},
		func(cid C.uint64_t, doc *C.char, buf *C.JansBuf) C.JansStatus {
			return C.jans_interaction_get(cid, doc, buf)
		})
	if err != nil {
		return nil, err
	}
	var view Interaction
	if err := json.Unmarshal(out, &view); err != nil {
		return nil, fmt.Errorf("jans: interaction: %w", err)
	}
	return &view, nil
}

// Login answers a "login" step with the user's credentials.
func (e *Engine) Login(id, csrf, username, password string) (*InteractionResult, error) {
	return e.submit(map[string]any{"action": "login", "interaction": id, "csrf": csrf,
		"username": username, "password": password})
}

// OneTimeCode answers a "second_factor" step asking for "otp" (a code of the person's
// authenticator app) or "recovery_code" (one of their recovery codes).
func (e *Engine) OneTimeCode(id, csrf, code string) (*InteractionResult, error) {
	return e.submit(map[string]any{"action": "otp", "interaction": id, "csrf": csrf, "code": code})
}

// ChooseFactor asks a "second_factor" step for another of its Factors ("try another way").
func (e *Engine) ChooseFactor(id, csrf, factor string) (*InteractionResult, error) {
	return e.submit(map[string]any{"action": "factor", "interaction": id, "csrf": csrf,
		"factor": factor})
}

// Consent answers a "consent" step; remember keeps the approval for this user and client.
func (e *Engine) Consent(id, csrf string, allow, remember bool) (*InteractionResult, error) {
	return e.submit(map[string]any{"action": "consent", "interaction": id, "csrf": csrf,
		"allow": allow, "remember": remember})
}

// CreateAccount answers a "create" step (prompt=create): the account is created and signed
// in ("done"), or not ("refused", with the reason in Message; show the form again).
func (e *Engine) CreateAccount(id, csrf string, a NewAccount) (*InteractionResult, error) {
	return e.submit(map[string]any{"action": "create", "interaction": id, "csrf": csrf,
		"username": a.Username, "email": a.Email, "given_name": a.GivenName,
		"family_name": a.FamilyName, "password": a.Password})
}

// SelectAccount answers a "select_account" step with the chosen account's session cookie
// value, or "" to sign in as another account.
func (e *Engine) SelectAccount(id, csrf, session string) (*InteractionResult, error) {
	var chosen any
	if session != "" {
		chosen = session
	}
	return e.submit(map[string]any{"action": "select", "interaction": id, "csrf": csrf,
		"session": chosen})
}

func (e *Engine) submit(doc map[string]any) (*InteractionResult, error) {
	out, err := e.interactionCall("submit interaction", doc,
		func(cid C.uint64_t, cdoc *C.char, buf *C.JansBuf) C.JansStatus {
			return C.jans_interaction_submit(cid, cdoc, buf)
		})
	if err != nil {
		return nil, err
	}
	var answer struct {
		Outcome   string        `json:"outcome"`
		Response  *wireResponse `json:"response"`
		Remaining int           `json:"remaining"`
		Seconds   int           `json:"seconds"`
		Message   string        `json:"message"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		return nil, fmt.Errorf("jans: submit interaction: %w", err)
	}
	result := &InteractionResult{Outcome: answer.Outcome, Remaining: answer.Remaining,
		Seconds: answer.Seconds, Message: answer.Message}
	if answer.Response != nil {
		if result.Response, err = answer.Response.decode("submit interaction"); err != nil {
			return nil, err
		}
	}
	return result, nil
}

func (e *Engine) interactionCall(op string, doc map[string]any,
	f func(C.uint64_t, *C.char, *C.JansBuf) C.JansStatus) ([]byte, error) {
	text, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("jans: %s: %w", op, err)
	}
	cdoc, free, err := cstring(op, "request", string(text))
	if err != nil {
		return nil, err
	}
	defer free()
	return e.withID(op, func(id C.uint64_t) ([]byte, error) {
		return call(op, func(buf *C.JansBuf) C.JansStatus { return f(id, cdoc, buf) })
	})
}

func decodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("jans: result: %w", err)
	}
	return m, nil
}
