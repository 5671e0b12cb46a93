package jans

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var testConfig = map[string]any{
	"issuer":                      "https://id.example.com",
	"defaultSignatureAlgorithm":   "ES256",
	"keyAlgsAllowedForGeneration": []string{"ES256"},
}

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := NewEngine(Config{Properties: testConfig})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func jwtClient(t *testing.T, e *Engine) (id, secret string) {
	t.Helper()
	c, err := e.RegisterClient(map[string]any{
		"client_name":              "go test",
		"grant_types":              []string{"client_credentials"},
		"scope":                    "read write",
		"access_token_as_jwt":      true,
		"access_token_signing_alg": "ES256",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c["client_id"].(string), c["client_secret"].(string)
}

func tokenRequest(id, secret string) *Request {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return &Request{
		Method: "POST",
		Path:   "/jans-auth/restv1/token",
		Header: h,
		Body:   []byte("grant_type=client_credentials&scope=read"),
	}
}

func accessToken(t *testing.T, e *Engine, id, secret string) string {
	t.Helper()
	resp, err := e.Handle(tokenRequest(id, secret))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("token endpoint: %d %s", resp.Status, resp.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body["access_token"].(string)
}

func TestTokenVerifyIntrospectRevoke(t *testing.T) {
	e := newEngine(t)
	if Version() == "" {
		t.Fatal("no version")
	}
	id, secret := jwtClient(t, e)
	tok := accessToken(t, e, id, secret)

	claims, err := e.VerifyToken(tok, id)
	if err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != "https://id.example.com" || claims["client_id"] != id || claims["scope"] != "read" {
		t.Fatalf("claims: %v", claims)
	}
	if _, err := e.VerifyToken(tok, "https://other.example.com"); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("wrong audience: %v", err)
	} else if !strings.Contains(err.Error(), "aud") {
		t.Fatalf("message: %v", err)
	}
	if _, err := e.VerifyToken("a.b.c", ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("garbage: %v", err)
	}

	info, err := e.Introspect(tok)
	if err != nil || info["active"] != true || info["client_id"] != id {
		t.Fatalf("introspect: %v %v", info, err)
	}
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.Handle(&Request{Method: "POST", Path: "/jans-auth/restv1/revoke", Header: h,
		Body: []byte("token=" + url.QueryEscape(tok))})
	if err != nil || resp.Status != 200 {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	if info, _ := e.Introspect(tok); info["active"] != false {
		t.Fatalf("after revocation: %v", info)
	}
}

func TestProtocolErrorsAreResponses(t *testing.T) {
	e := newEngine(t)
	resp, err := e.Handle(tokenRequest("nobody", "nothing"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("%d %v", resp.Status, resp.Header)
	}
	var body map[string]any
	_ = json.Unmarshal(resp.Body, &body)
	if body["error"] != "invalid_client" {
		t.Fatalf("%s", resp.Body)
	}
	resp, _ = e.Handle(&Request{Method: "GET", Path: "/jans-auth/restv1/token"})
	if resp.Status != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("%d %v", resp.Status, resp.Header)
	}
	resp, _ = e.Handle(&Request{Method: "GET", Path: "/.well-known/openid-configuration"})
	if resp.Status != 200 || !strings.Contains(string(resp.Body), `"issuer":"https://id.example.com"`) {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	if _, err := NewEngine(Config{Properties: map[string]any{"accessTokenLifetime": "soon"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad config: %v", err)
	} else if !strings.Contains(err.Error(), "accessTokenLifetime") {
		t.Fatalf("message: %v", err)
	}
	e := newEngine(t)
	if _, err := e.Handle(&Request{Method: "G E T", Path: "/x"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad method: %v", err)
	}
	if _, err := e.Handle(&Request{Method: "GET", Path: "relative"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad path: %v", err)
	}
	big := &Request{Method: "POST", Path: "/jans-auth/restv1/token", Body: make([]byte, 64<<10+1)}
	var je *Error
	if _, err := e.Handle(big); !errors.As(err, &je) || je.Status != StatusTooLarge {
		t.Fatalf("big body: %v", err)
	}
	if _, err := e.RegisterClient(map[string]any{"redirect_uris": []string{"not a uri"}}); !errors.Is(err, ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "invalid_redirect_uri") {
		t.Fatalf("bad metadata: %v", err)
	}
	// Strings with NUL bytes cannot reach C intact: refused, never truncated (an audience
	// cut at the NUL would be checked as a different one).
	id, secret := jwtClient(t, e)
	tok := accessToken(t, e, id, secret)
	if _, err := e.VerifyToken(tok, id+"\x00https://elsewhere"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL in audience: %v", err)
	}
	if _, err := e.Introspect(tok + "\x00"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL in token: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal("second close:", err)
	}
	if _, err := e.Introspect("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

func TestManyGoroutinesOneEngine(t *testing.T) {
	e := newEngine(t)
	id, secret := jwtClient(t, e)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				resp, err := e.Handle(tokenRequest(id, secret))
				if err != nil || resp.Status != 200 {
					errs <- err
					return
				}
				var body map[string]any
				_ = json.Unmarshal(resp.Body, &body)
				tok := body["access_token"].(string)
				if _, err := e.VerifyToken(tok, id); err != nil {
					errs <- err
					return
				}
				if _, err := e.Handle(&Request{Method: "G E T", Path: "/"}); !errors.Is(err, ErrInvalidArgument) {
					errs <- err
					return
				}
				mu.Lock()
				seen[tok] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 400 {
		t.Fatalf("%d distinct tokens, want 400", len(seen))
	}
}

func TestMountedInNetHTTP(t *testing.T) {
	e := newEngine(t)
	id, secret := jwtClient(t, e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", srv.URL+"/jans-auth/restv1/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if _, err := e.VerifyToken(body["access_token"].(string), id); err != nil {
		t.Fatal(err)
	}
	r2, err := http.Get(srv.URL + "/jans-auth/restv1/jwks")
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("jwks: %v %v", r2, err)
	}
	r2.Body.Close()
	r3, _ := http.Post(srv.URL+"/jans-auth/restv1/token", "application/x-www-form-urlencoded",
		strings.NewReader(strings.Repeat("a", 70000)))
	if r3.StatusCode != 413 {
		t.Fatalf("big body: %d", r3.StatusCode)
	}
	r3.Body.Close()
}

func TestDataDirIsExclusiveAndDurable(t *testing.T) {
	dir := t.TempDir()
	e, err := NewEngine(Config{Properties: testConfig, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := jwtClient(t, e)
	if _, err := NewEngine(Config{Properties: testConfig, DataDir: dir}); !errors.Is(err, ErrStore) {
		t.Fatalf("second open: %v", err)
	}
	tok := accessToken(t, e, id, secret)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := NewEngine(Config{Properties: testConfig, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.VerifyToken(tok, id); err != nil {
		t.Fatal("same keys after reopening:", err)
	}
	if info, _ := again.Introspect(tok); info["active"] != true {
		t.Fatalf("grant survived: %v", info)
	}
}

// dpopProof signs a DPoP proof (RFC 9449 §4.2) with key for htm htu, with ath of token.
func dpopProof(t *testing.T, key *ecdsa.PrivateKey, htm, htu, token, jti string) string {
	t.Helper()
	b64 := base64.RawURLEncoding
	pad := func(b []byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	header, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": "dpop+jwt", "jwk": map[string]string{
		"kty": "EC", "crv": "P-256",
		"x": b64.EncodeToString(pad(key.X.Bytes())), "y": b64.EncodeToString(pad(key.Y.Bytes())),
	}})
	claims := map[string]any{"jti": jti, "htm": htm, "htu": htu, "iat": time.Now().Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = b64.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(claims)
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(append(pad(r.Bytes()), pad(s.Bytes())...))
}

func TestDPoPBoundTokenVerifiesOnlyWithItsProof(t *testing.T) {
	e := newEngine(t)
	id, secret := jwtClient(t, e)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	req := tokenRequest(id, secret)
	req.Header.Set("DPoP", dpopProof(t, key, "POST", "https://id.example.com/jans-auth/restv1/token", "", "t-1"))
	resp, err := e.Handle(req)
	if err != nil || resp.Status != 200 {
		t.Fatalf("token endpoint: %v %v", resp, err)
	}
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil || body["token_type"] != "DPoP" {
		t.Fatalf("%s %v", resp.Body, err)
	}
	tok := body["access_token"].(string)
	if _, err := e.VerifyToken(tok, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("a bound token as a bearer token: %v", err)
	}
	api := "https://api.example.com/photos"
	proof := dpopProof(t, key, "GET", api, tok, "r-1")
	claims, err := e.VerifyTokenDPoP(tok, proof, "GET", api, "")
	if err != nil || claims["client_id"] != id {
		t.Fatalf("with its proof: %v %v", claims, err)
	}
	if _, err := e.VerifyTokenDPoP(tok, proof, "GET", api, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("the proof again: %v", err)
	}
	other := dpopProof(t, key, "GET", api, "another token", "r-2")
	if _, err := e.VerifyTokenDPoP(tok, other, "GET", api, ""); !errors.Is(err, ErrTokenInvalid) ||
		!strings.Contains(err.Error(), "ath") {
		t.Fatalf("another token's proof: %v", err)
	}
}

func TestCreateAccountAtAPromptCreateStep(t *testing.T) {
	e, err := NewEngine(Config{Properties: map[string]any{
		"issuer":                      "https://id.example.com",
		"interactionUri":              "https://app.example.com/login",
		"defaultSignatureAlgorithm":   "ES256",
		"keyAlgsAllowedForGeneration": []string{"ES256"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	c, err := e.RegisterClient(map[string]any{
		"redirect_uris": []string{"https://app.example.com/cb"}, "scope": "profile"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Handle(&Request{Method: "GET", Path: "/jans-auth/restv1/authorize?response_type=code" +
		"&client_id=" + c["client_id"].(string) +
		"&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20profile&state=s" +
		"&prompt=create&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"})
	if err != nil || resp.Status != 302 {
		t.Fatalf("authorize: %v %v", resp, err)
	}
	id := strings.TrimPrefix(resp.Header.Get("Location"), "https://app.example.com/login?interaction=")
	step, err := e.Interaction(id)
	if err != nil || step.Stage != "create" {
		t.Fatalf("step: %+v %v", step, err)
	}
	account := NewAccount{Username: "gus", Email: "gus@example.com", GivenName: "Gus", Password: "short"}
	r, err := e.CreateAccount(id, step.CSRF, account)
	if err != nil || r.Outcome != "refused" || !strings.Contains(r.Message, "password") {
		t.Fatalf("a short password: %+v %v", r, err)
	}
	account.Password = "a long enough password"
	r, err = e.CreateAccount(id, step.CSRF, account)
	if err != nil || r.Outcome != "done" || r.Response.Status != 302 {
		t.Fatalf("created: %+v %v", r, err)
	}
	if !strings.HasPrefix(r.Response.Header.Get("Set-Cookie"), "session_id=") {
		t.Fatalf("signed in: %v", r.Response.Header)
	}
}

func TestOneTimePasswordStep(t *testing.T) {
	e, err := NewEngine(Config{Properties: map[string]any{
		"issuer":                      "https://id.example.com",
		"interactionUri":              "https://app.example.com/login",
		"defaultSignatureAlgorithm":   "ES256",
		"keyAlgsAllowedForGeneration": []string{"ES256"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if _, err := e.AddUser(map[string]any{"uid": "alice"}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	c, err := e.RegisterClient(map[string]any{
		"redirect_uris": []string{"https://app.example.com/cb"}, "trusted_client": true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Handle(&Request{Method: "GET", Path: "/jans-auth/restv1/authorize?response_type=code" +
		"&client_id=" + c["client_id"].(string) +
		"&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid&acr_values=otp" +
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"})
	if err != nil || resp.Status != 302 {
		t.Fatalf("authorize: %v %v", resp, err)
	}
	const page = "https://app.example.com/login?interaction="
	id := strings.TrimPrefix(resp.Header.Get("Location"), page)
	step, err := e.Interaction(id)
	if err != nil || step.Stage != "login" || step.Acr != "otp" {
		t.Fatalf("step: %+v %v", step, err)
	}
	r, err := e.Login(id, step.CSRF, "alice", "correct horse battery")
	if err != nil || r.Outcome != "done" {
		t.Fatalf("password: %+v %v", r, err)
	}
	id = strings.TrimPrefix(r.Response.Header.Get("Location"), page)
	step, err = e.Interaction(id)
	if err != nil || step.Stage != "second_factor" || len(step.Factors) != 1 || step.Factors[0] != "otp" {
		t.Fatalf("second factor: %+v %v", step, err)
	}
	r, err = e.OneTimeCode(id, step.CSRF, "123456")
	if err != nil || r.Outcome != "retry" || r.Remaining != 4 {
		t.Fatalf("a wrong code: %+v %v", r, err)
	}
	if _, err := e.ChooseFactor(id, step.CSRF, "recovery_code"); err == nil {
		t.Fatal("a factor not offered was chosen")
	}
	r, err = e.ChooseFactor(id, step.CSRF, "otp")
	if err != nil || r.Outcome != "changed" {
		t.Fatalf("choose: %+v %v", r, err)
	}
}

// selfSigned makes a self-signed client certificate (DER) named cn.
func selfSigned(t *testing.T, cn string) []byte {
	t.Helper()
	der, _ := selfSignedWithKey(t, cn)
	return der
}

// selfSignedWithKey makes a self-signed client certificate (DER) named cn, with its key.
func selfSignedWithKey(t *testing.T, cn string) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// registerSelfSigned registers a self_signed_tls_client_auth client of cert; its id.
func registerSelfSigned(t *testing.T, e *Engine, cert []byte) string {
	t.Helper()
	parsed, err := x509.ParseCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	pub := parsed.PublicKey.(*ecdsa.PublicKey)
	b64 := base64.RawURLEncoding
	pad := func(b []byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	c, err := e.RegisterClient(map[string]any{
		"token_endpoint_auth_method":                 "self_signed_tls_client_auth",
		"grant_types":                                []string{"client_credentials"},
		"access_token_as_jwt":                        true,
		"access_token_signing_alg":                   "ES256",
		"tls_client_certificate_bound_access_tokens": true,
		"jwks": map[string]any{"keys": []map[string]any{{
			"kty": "EC", "crv": "P-256",
			"x": b64.EncodeToString(pad(pub.X.Bytes())), "y": b64.EncodeToString(pad(pub.Y.Bytes())),
			"x5c": []string{base64.StdEncoding.EncodeToString(cert)},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c["client_id"].(string)
}

// The engine as a net/http handler behind a TLS server that asks for client certificates
// hands the certificate to the engine: mutual-TLS client authentication works.
func TestServeHTTPPassesTheClientCertificate(t *testing.T) {
	e := newEngine(t)
	cert, key := selfSignedWithKey(t, "go client")
	id := registerSelfSigned(t, e, cert)
	srv := httptest.NewUnstartedServer(e)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	post := func(c *http.Client) int {
		resp, err := c.PostForm(srv.URL+"/jans-auth/restv1/token",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {id}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(srv.Client()); status != 401 {
		t.Fatalf("without a certificate: %d", status)
	}
	withCert := srv.Client()
	withCert.Transport.(*http.Transport).TLSClientConfig.Certificates =
		[]tls.Certificate{{Certificate: [][]byte{cert}, PrivateKey: key}}
	if status := post(withCert); status != 200 {
		t.Fatalf("with its certificate: %d", status)
	}
}

func TestCertificateBoundTokenVerifiesOnlyWithItsCertificate(t *testing.T) {
	e := newEngine(t)
	cert := selfSigned(t, "go client")
	id := registerSelfSigned(t, e, cert)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	req := &Request{Method: "POST", Path: "/jans-auth/restv1/token", Header: h,
		Body: []byte("grant_type=client_credentials&client_id=" + url.QueryEscape(id))}
	if resp, err := e.Handle(req); err != nil || resp.Status != 401 {
		t.Fatalf("without a certificate: %v %v", resp, err)
	}
	req.ClientCertDER = cert
	resp, err := e.Handle(req)
	if err != nil || resp.Status != 200 {
		t.Fatalf("with its certificate: %v %v", resp, err)
	}
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	tok := body["access_token"].(string)
	if _, err := e.VerifyToken(tok, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("a certificate-bound token as a bearer token: %v", err)
	}
	claims, err := e.VerifyTokenMTLS(tok, cert, "")
	if err != nil || claims["client_id"] != id {
		t.Fatalf("with its certificate: %v %v", claims, err)
	}
	if _, err := e.VerifyTokenMTLS(tok, selfSigned(t, "go client"), ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("with another certificate: %v", err)
	}
}
