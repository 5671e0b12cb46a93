/*
 * Embedding jans-rs from C: create an engine, register a client, get a client_credentials
 * token through jans_handle (exactly the HTTP request a client would send to
 * /jans-auth/restv1/token), verify it locally, introspect it, revoke it, and show what a
 * bad request looks like. Every buffer the library fills is freed with jans_buf_free.
 *
 * Build and run: make run (see the Makefile; `make valgrind` runs it under valgrind).
 * Usage: jans-c-example [DATA_DIR]
 * Exit status 0 when every step behaved as expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jans.h"

/* An engine in memory, signing with ES256 (one key type keeps the start fast). */
static const char *CONFIG =
    "{\"issuer\": \"https://id.example.com\","
    " \"defaultSignatureAlgorithm\": \"ES256\","
    " \"keyAlgsAllowedForGeneration\": [\"ES256\"]}";

static int failed(const char *step, JansStatus s) {
    fprintf(stderr, "%s failed: status %d: %s\n", step, (int)s, jans_last_error());
    return 1;
}

/*
 * The string value of "key" in a JSON document, unescaped, in a new malloc'd string
 * (NULL when absent). Enough JSON for this example: the keys it looks for are unique in
 * the documents it reads.
 */
static char *json_string(const char *json, const char *key) {
    size_t klen = strlen(key);
    for (const char *p = strchr(json, '"'); p != NULL; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
            continue;
        const char *v = p + 2 + klen;
        while (*v == ' ' || *v == ':')
            v++;
        if (*v != '"')
            continue;
        v++;
        char *out = malloc(strlen(v) + 1), *o = out;
        if (out == NULL)
            return NULL;
        for (; *v != '\0' && *v != '"'; v++) {
            if (*v == '\\' && v[1] != '\0') {
                v++;
                switch (*v) {
                case 'n': *o++ = '\n'; break;
                case 't': *o++ = '\t'; break;
                case 'r': *o++ = '\r'; break;
                case 'u': *o++ = '?'; v += 4; break; /* not needed here */
                default: *o++ = *v; /* \" \\ \/ */
                }
            } else {
                *o++ = *v;
            }
        }
        *o = '\0';
        return out;
    }
    return NULL;
}

/* The "status" member of a jans_handle response. */
static int http_status(const char *response) {
    const char *s = strstr(response, "\"status\":");
    return s ? atoi(s + 9) : -1;
}

/* Standard base64 (RFC 4648 §4), for the Basic authorization header. */
static char *base64(const char *in) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)in[i + 2];
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? alphabet[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

int main(int argc, char **argv) {
    /* An optional data directory: the engine's database, keys and master key, in the
     * layout `jans serve --data-dir` uses. Without one, everything stays in memory. */
    const char *data_dir = argc > 1 ? argv[1] : NULL;
    int rc = 1;
    uint64_t engine = 0;
    JansBuf buf = {NULL, 0};
    char *client_id = NULL, *secret = NULL, *auth = NULL, *body = NULL, *token = NULL;
    char request[4096], creds[512];
    JansStatus s;

    printf("libjans %s\n", jans_version());

    /* 1. An engine. */
    s = jans_engine_new(CONFIG, data_dir, &engine);
    if (s != JANS_STATUS_OK) return failed("jans_engine_new", s);
    printf("1. engine %llu started (%s)\n", (unsigned long long)engine,
           data_dir ? data_dir : "in memory");

    /* 2. A client that gets ES256-signed JWT access tokens. */
    s = jans_client_register(engine,
                             "{\"client_name\": \"c-example\","
                             " \"grant_types\": [\"client_credentials\"],"
                             " \"scope\": \"read write\","
                             " \"access_token_as_jwt\": true,"
                             " \"access_token_signing_alg\": \"ES256\"}",
                             &buf);
    if (s != JANS_STATUS_OK) { failed("jans_client_register", s); goto out; }
    client_id = json_string((const char *)buf.data, "client_id");
    secret = json_string((const char *)buf.data, "client_secret");
    jans_buf_free(&buf);
    if (client_id == NULL || secret == NULL) goto out;
    printf("2. client registered: %s\n", client_id);

    /* 3. A token, through the same request a client sends over HTTP. */
    snprintf(creds, sizeof creds, "%s:%s", client_id, secret);
    auth = base64(creds);
    snprintf(request, sizeof request,
             "{\"method\": \"POST\", \"path\": \"/jans-auth/restv1/token\","
             " \"headers\": {\"authorization\": \"Basic %s\","
             " \"content-type\": \"application/x-www-form-urlencoded\"},"
             " \"body\": \"grant_type=client_credentials&scope=read\"}",
             auth);
    s = jans_handle(engine, request, &buf);
    if (s != JANS_STATUS_OK) { failed("jans_handle (token)", s); goto out; }
    int status = http_status((const char *)buf.data);
    body = json_string((const char *)buf.data, "body");
    jans_buf_free(&buf);
    if (status != 200 || body == NULL) {
        fprintf(stderr, "token endpoint answered %d: %s\n", status, body ? body : "");
        goto out;
    }
    token = json_string(body, "access_token");
    if (token == NULL) goto out;
    printf("3. POST /jans-auth/restv1/token -> %d, access token %.24s...\n", status, token);

    /* 4. Local verification against the engine's keys, for this audience. */
    s = jans_token_verify(engine, token, client_id, &buf);
    if (s != JANS_STATUS_OK) { failed("jans_token_verify", s); goto out; }
    printf("4. verified, claims: %s\n", (const char *)buf.data);
    jans_buf_free(&buf);
    s = jans_token_verify(engine, token, "https://other.example.com", &buf);
    if (s != JANS_STATUS_TOKEN_INVALID) { fprintf(stderr, "wrong audience accepted\n"); goto out; }
    printf("   for another audience: refused (%s)\n", jans_last_error());

    /* 5. Introspection (reads the store). */
    s = jans_introspect(engine, token, &buf);
    if (s != JANS_STATUS_OK) { failed("jans_introspect", s); goto out; }
    printf("5. introspection: %s\n", (const char *)buf.data);
    if (strstr((const char *)buf.data, "\"active\":true") == NULL) goto out;
    jans_buf_free(&buf);

    /* 6. Revocation (RFC 7009), then introspection again. */
    snprintf(request, sizeof request,
             "{\"method\": \"POST\", \"path\": \"/jans-auth/restv1/revoke\","
             " \"headers\": {\"authorization\": \"Basic %s\","
             " \"content-type\": \"application/x-www-form-urlencoded\"},"
             " \"body\": \"token=%s\"}",
             auth, token);
    s = jans_handle(engine, request, &buf);
    if (s != JANS_STATUS_OK) { failed("jans_handle (revoke)", s); goto out; }
    status = http_status((const char *)buf.data);
    jans_buf_free(&buf);
    printf("6. POST /jans-auth/restv1/revoke -> %d\n", status);
    s = jans_introspect(engine, token, &buf);
    if (s != JANS_STATUS_OK) { failed("jans_introspect", s); goto out; }
    printf("   introspection now: %s\n", (const char *)buf.data);
    if (strcmp((const char *)buf.data, "{\"active\":false}") != 0) goto out;
    jans_buf_free(&buf);

    /* 7. Bad input is a status code and a message, never a crash. */
    s = jans_handle(engine, "{\"method\": \"GET\"", &buf);
    printf("7. malformed request -> status %d: %s\n", (int)s, jans_last_error());
    if (s != JANS_STATUS_INVALID_JSON || buf.data != NULL) goto out;
    s = jans_handle(engine, NULL, &buf);
    if (s != JANS_STATUS_NULL_ARGUMENT) goto out;
    s = jans_handle(engine + 1000, "{}", &buf);
    if (s != JANS_STATUS_UNKNOWN_ENGINE) goto out;
    printf("   NULL request -> %d, unknown engine -> %d\n",
           (int)JANS_STATUS_NULL_ARGUMENT, (int)JANS_STATUS_UNKNOWN_ENGINE);

    rc = 0;
out:
    jans_buf_free(&buf);
    free(client_id);
    free(secret);
    free(auth);
    free(body);
    free(token);
    if (engine != 0 && jans_engine_free(engine) != JANS_STATUS_OK) rc = 1;
    printf(rc == 0 ? "8. engine freed; all steps passed\n" : "FAILED\n");
    return rc;
}
