/*
 * Fork safety of libjans (issue 10 item 7): a host that forks after using an engine must not
 * hand out the same tokens in parent and child, and the child must still be able to check a
 * password (the hashing workers stayed in the parent). The parent issues a token and checks
 * a password (filling the per-thread randomness pool, starting the hashing workers), forks,
 * and both do the same again; the child sends its token to the parent over a pipe. Exit
 * status 0 when every token differs and both password checks succeeded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jans.h"

static char *json_string(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(json, pattern);
    if (p == NULL) {
        snprintf(pattern, sizeof pattern, "\\\"%s\\\":\\\"", key);
        p = strstr(json, pattern);
        if (p == NULL) return NULL;
    }
    p += strlen(pattern);
    size_t n = strcspn(p, "\"\\");
    char *out = malloc(n + 1);
    if (out == NULL) return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static char *token_for(uint64_t engine, const char *id, const char *secret, const char *grant) {
    char request[1024];
    JansBuf buf = {0};
    snprintf(request, sizeof request,
             "{\"method\": \"POST\", \"path\": \"/jans-auth/restv1/token\","
             " \"headers\": {\"content-type\": \"application/x-www-form-urlencoded\"},"
             " \"body\": \"%s&client_id=%s&client_secret=%s\"}",
             grant, id, secret);
    if (jans_handle(engine, request, &buf) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_handle: %s\n", jans_last_error());
        return NULL;
    }
    char *t = json_string((const char *)buf.data, "access_token");
    jans_buf_free(&buf);
    return t;
}

static char *token(uint64_t engine, const char *id, const char *secret) {
    return token_for(engine, id, secret, "grant_type=client_credentials");
}

/* The password grant: a password checked on the engine's hashing workers. */
static int password_ok(uint64_t engine, const char *id, const char *secret) {
    char *t = token_for(engine, id, secret,
                        "grant_type=password&username=alice&password=correct+horse+battery");
    int ok = t != NULL;
    free(t);
    return ok;
}

struct check {
    uint64_t engine;
    const char *id, *secret;
    int ok;
};

static void *check_thread(void *arg) {
    struct check *c = arg;
    c->ok = password_ok(c->engine, c->id, c->secret);
    return NULL;
}

/* Password checks on as many threads as the machine has cores, twice over: every hashing
 * worker the engine may start is started (and busy) before the fork. */
static int warm_every_worker(uint64_t engine, const char *id, const char *secret) {
    long n = 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2) n = 2;
    if (n > 64) n = 64;
    pthread_t threads[64];
    struct check checks[64];
    int ok = 1;
    for (long i = 0; i < n; i++) {
        checks[i] = (struct check){engine, id, secret, 0};
        if (pthread_create(&threads[i], NULL, check_thread, &checks[i]) != 0) return 0;
    }
    for (long i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        ok = ok && checks[i].ok;
    }
    return ok;
}

int main(void) {
    uint64_t engine = 0;
    JansBuf buf = {0};
    if (jans_engine_new("{\"defaultSignatureAlgorithm\": \"ES256\","
                        " \"keyAlgsAllowedForGeneration\": [\"ES256\"],"
                        " \"grantTypesSupported\": [\"client_credentials\", \"password\"]}",
                        NULL, &engine) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_engine_new: %s\n", jans_last_error());
        return 1;
    }
    if (jans_client_register(engine,
                             "{\"grant_types\": [\"client_credentials\", \"password\"],"
                             " \"token_endpoint_auth_method\": \"client_secret_post\"}",
                             &buf) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_client_register: %s\n", jans_last_error());
        return 1;
    }
    char *id = json_string((const char *)buf.data, "client_id");
    char *secret = json_string((const char *)buf.data, "client_secret");
    jans_buf_free(&buf);
    if (jans_user_add(engine, "{\"uid\": \"alice\"}", "correct horse battery", &buf) !=
        JANS_STATUS_OK) {
        fprintf(stderr, "jans_user_add: %s\n", jans_last_error());
        return 1;
    }
    jans_buf_free(&buf);
    char *before = token(engine, id, secret);
    if (before == NULL || !warm_every_worker(engine, id, secret)) return 1;

    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        char *mine = token(engine, id, secret);
        if (mine == NULL) _exit(2);
        if (!password_ok(engine, id, secret)) _exit(4);
        ssize_t n = write(fds[1], mine, strlen(mine));
        _exit(n > 0 ? 0 : 3);
    }
    close(fds[1]);
    char *parent = token(engine, id, secret);
    if (!password_ok(engine, id, secret)) return 1;
    char theirs[256] = {0};
    ssize_t n = read(fds[0], theirs, sizeof theirs - 1);
    int status = 0;
    waitpid(child, &status, 0);
    if (parent == NULL || n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "a token or a password check failed (child status %d)\n", status);
        return 1;
    }
    printf("before fork: %s\nparent:      %s\nchild:       %s\n", before, parent, theirs);
    int distinct = strcmp(parent, theirs) != 0 && strcmp(before, theirs) != 0 &&
                   strcmp(before, parent) != 0;
    printf(distinct ? "fork-safe: every token differs, passwords checked in both\n"
                    : "SAME TOKENS after fork\n");
    free(before);
    free(parent);
    free(id);
    free(secret);
    jans_engine_free(engine);
    return distinct ? 0 : 1;
}
