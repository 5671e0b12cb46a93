// The steps of the C example, from Go: create an engine, register a client, get a
// client_credentials token through Handle, verify it, introspect it, revoke it, and show
// that bad input is an error value.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/JanssenProject/jans-rs/jans-ffi/go/jans"
)

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func main() {
	fmt.Println("libjans", jans.Version())
	cfg := jans.Config{Properties: map[string]any{
		"issuer":                      "https://id.example.com",
		"defaultSignatureAlgorithm":   "ES256",
		"keyAlgsAllowedForGeneration": []string{"ES256"},
	}}
	if len(os.Args) > 1 {
		cfg.DataDir = os.Args[1]
	}
	engine, err := jans.NewEngine(cfg)
	if err != nil {
		fail("1. new engine", err)
	}
	fmt.Println("1. engine started")

	client, err := engine.RegisterClient(map[string]any{
		"client_name":              "go-example",
		"grant_types":              []string{"client_credentials"},
		"scope":                    "read write",
		"access_token_as_jwt":      true,
		"access_token_signing_alg": "ES256",
	})
	if err != nil {
		fail("2. register client", err)
	}
	id, secret := client["client_id"].(string), client["client_secret"].(string)
	fmt.Println("2. client registered:", id)

	header := http.Header{}
	header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := engine.Handle(&jans.Request{
		Method: "POST", Path: "/jans-auth/restv1/token", Header: header,
		Body: []byte("grant_type=client_credentials&scope=read"),
	})
	if err != nil || resp.Status != 200 {
		fail("3. token", fmt.Errorf("%v %v", resp, err))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil {
		fail("3. token", err)
	}
	fmt.Printf("3. POST /jans-auth/restv1/token -> %d, access token %.24s...\n", resp.Status, tok.AccessToken)

	claims, err := engine.VerifyToken(tok.AccessToken, id)
	if err != nil {
		fail("4. verify", err)
	}
	fmt.Println("4. verified, claims:", claims)
	if _, err := engine.VerifyToken(tok.AccessToken, "https://other.example.com"); !errors.Is(err, jans.ErrTokenInvalid) {
		fail("4. verify for another audience", err)
	} else {
		fmt.Println("   for another audience:", err)
	}

	info, err := engine.Introspect(tok.AccessToken)
	if err != nil || info["active"] != true {
		fail("5. introspect", fmt.Errorf("%v %v", info, err))
	}
	fmt.Println("5. introspection:", info)

	resp, err = engine.Handle(&jans.Request{
		Method: "POST", Path: "/jans-auth/restv1/revoke", Header: header,
		Body: []byte("token=" + url.QueryEscape(tok.AccessToken)),
	})
	if err != nil || resp.Status != 200 {
		fail("6. revoke", fmt.Errorf("%v %v", resp, err))
	}
	fmt.Println("6. POST /jans-auth/restv1/revoke ->", resp.Status)
	if info, err = engine.Introspect(tok.AccessToken); err != nil || info["active"] != false {
		fail("6. introspect after revocation", fmt.Errorf("%v %v", info, err))
	}
	fmt.Println("   introspection now:", info)

	_, err = engine.Handle(&jans.Request{Method: "G E T", Path: "/"})
	if !errors.Is(err, jans.ErrInvalidArgument) {
		fail("7. bad input", err)
	}
	fmt.Println("7. malformed request ->", err)

	if err := engine.Close(); err != nil {
		fail("8. close", err)
	}
	if _, err := engine.Introspect(tok.AccessToken); !errors.Is(err, jans.ErrClosed) {
		fail("8. use after close", err)
	}
	fmt.Println("8. engine closed; all steps passed")
}
