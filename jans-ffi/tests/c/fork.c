/*
 * Fork safety of libjans's randomness (issue 10 item 7): a host that forks after using an
 * engine must not hand out the same tokens in parent and child. The parent issues a token
 * (filling the per-thread randomness pool), forks, and both issue reference tokens; the
 * child sends its token to the parent over a pipe. Exit status 0 when the three tokens all
 * differ.
 */
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

static char *token(uint64_t engine, const char *id, const char *secret) {
    char request[1024];
    JansBuf buf = {0};
    snprintf(request, sizeof request,
             "{\"method\": \"POST\", \"path\": \"/jans-auth/restv1/token\","
             " \"headers\": {\"content-type\": \"application/x-www-form-urlencoded\"},"
             " \"body\": \"grant_type=client_credentials&client_id=%s&client_secret=%s\"}",
             id, secret);
    if (jans_handle(engine, request, &buf) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_handle: %s\n", jans_last_error());
        return NULL;
    }
    char *t = json_string((const char *)buf.data, "access_token");
    jans_buf_free(&buf);
    return t;
}

int main(void) {
    uint64_t engine = 0;
    JansBuf buf = {0};
    if (jans_engine_new("{\"defaultSignatureAlgorithm\": \"ES256\","
                        " \"keyAlgsAllowedForGeneration\": [\"ES256\"]}",
                        NULL, &engine) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_engine_new: %s\n", jans_last_error());
        return 1;
    }
    if (jans_client_register(engine,
                             "{\"grant_types\": [\"client_credentials\"],"
                             " \"token_endpoint_auth_method\": \"client_secret_post\"}",
                             &buf) != JANS_STATUS_OK) {
        fprintf(stderr, "jans_client_register: %s\n", jans_last_error());
        return 1;
    }
    char *id = json_string((const char *)buf.data, "client_id");
    char *secret = json_string((const char *)buf.data, "client_secret");
    jans_buf_free(&buf);
    char *before = token(engine, id, secret);
    if (before == NULL) return 1;

    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        char *mine = token(engine, id, secret);
        if (mine == NULL) _exit(2);
        ssize_t n = write(fds[1], mine, strlen(mine));
        _exit(n > 0 ? 0 : 3);
    }
    close(fds[1]);
    char *parent = token(engine, id, secret);
    char theirs[256] = {0};
    ssize_t n = read(fds[0], theirs, sizeof theirs - 1);
    int status = 0;
    waitpid(child, &status, 0);
    if (parent == NULL || n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "a token is missing (child status %d)\n", status);
        return 1;
    }
    printf("before fork: %s\nparent:      %s\nchild:       %s\n", before, parent, theirs);
    int distinct = strcmp(parent, theirs) != 0 && strcmp(before, theirs) != 0 &&
                   strcmp(before, parent) != 0;
    printf(distinct ? "fork-safe: every token differs\n" : "SAME TOKENS after fork\n");
    free(before);
    free(parent);
    free(id);
    free(secret);
    jans_engine_free(engine);
    return distinct ? 0 : 1;
}
