package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/JanssenProject/jans-rs/jans-ffi/go/jans"
)

const (
	redirectURI = "http://localhost:9/cb"
	verifier    = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge   = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

var hidden = regexp.MustCompile(`name="(interaction|csrf)" value="([^"]*)"`)

// form reads the hidden fields of a page.
func form(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("interaction") == "" || v.Get("csrf") == "" {
		t.Fatalf("no form in page: %s", body)
	}
	return v
}

// The whole authorization code flow from Go, through this program's own login pages:
// authorize -> login (a wrong password first) -> consent -> code -> token -> ID token
// verified locally by the engine.
func TestCodeFlowThroughTheInteractionAPI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	engine, err := jans.NewEngine(jans.Config{Properties: map[string]any{
		"issuer": issuer, "interactionUri": issuer + "/login",
		"keyAlgsAllowedForGeneration": []string{"ES256"}, "defaultSignatureAlgorithm": "ES256",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	srv := &http.Server{Handler: newMux(engine)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	user, err := engine.AddUser(map[string]any{"uid": "alice", "given_name": "Alice"}, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	client, err := engine.RegisterClient(map[string]any{
		"client_name": "Go RP", "redirect_uris": []string{redirectURI}, "scope": "profile",
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := client["client_id"].(string)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(u string) (*http.Response, string) {
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(v url.Values) (*http.Response, string) {
		resp, err := browser.PostForm(issuer+"/login", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	authorize := issuer + "/jans-auth/restv1/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {"openid profile"}, "state": {"s1"}, "nonce": {"n1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}.Encode()
	// The engine sends the browser to this program's login page.
	resp, body := get(authorize)
	if resp.Request.URL.Path != "/login" || !strings.Contains(body, "Sign in to Go RP") {
		t.Fatalf("not the login page: %s %s", resp.Request.URL, body)
	}
	fields := form(t, body)
	// A wrong password: the form again, with attempts left.
	fields.Set("action", "login")
	fields.Set("username", "alice")
	fields.Set("password", "wrong password")
	resp, body = post(fields)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "4 attempts left") {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}
	// A forged CSRF token is refused, and the step survives it.
	forged := form(t, body)
	forged.Set("csrf", "forged")
	forged.Set("action", "login")
	forged.Set("username", "alice")
	forged.Set("password", "correct horse battery")
	if resp, _ := post(forged); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged csrf: %d", resp.StatusCode)
	}
	fields = form(t, body)
	fields.Set("action", "login")
	fields.Set("username", "alice")
	fields.Set("password", "correct horse battery")
	// Signed in: the engine's redirect (with the session cookie) leads to the consent page.
	resp, body = post(fields)
	if !strings.Contains(body, "Allow Go RP?") || !strings.Contains(body, "profile") {
		t.Fatalf("not the consent page: %d %s", resp.StatusCode, body)
	}
	u, _ := url.Parse(issuer)
	if len(jar.Cookies(u)) == 0 {
		t.Fatal("no session cookie was set")
	}
	fields = form(t, body)
	fields.Set("action", "allow")
	resp, _ = post(fields)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != "s1" || back.Query().Get("code") == "" {
		t.Fatalf("back to the client: %s", resp.Header.Get("Location"))
	}

	// The client redeems the code at the token endpoint (served by the same process).
	tokenReq, _ := http.NewRequest(http.MethodPost, issuer+"/jans-auth/restv1/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}.Encode()))
	tokenReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tokenReq.SetBasicAuth(clientID, client["client_secret"].(string))
	tokenResp, err := http.DefaultClient.Do(tokenReq)
	if err != nil {
		t.Fatal(err)
	}
	defer tokenResp.Body.Close()
	var tokens map[string]any
	if err := json.NewDecoder(tokenResp.Body).Decode(&tokens); err != nil || tokenResp.StatusCode != 200 {
		t.Fatalf("token: %d %v %v", tokenResp.StatusCode, tokens, err)
	}
	claims, err := engine.VerifyToken(tokens["id_token"].(string), clientID)
	if err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != user["inum"] || claims["nonce"] != "n1" || claims["iss"] != issuer {
		t.Fatalf("ID token claims: %v", claims)
	}
	// The step is spent: answering it again is refused.
	if _, err := engine.Consent(fields.Get("interaction"), fields.Get("csrf"), true, false); err == nil {
		t.Fatal("a spent interaction was answered again")
	}
}
