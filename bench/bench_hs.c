/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What merely loading a provider costs software-key TLS: N full mutual-TLS
 * handshakes between a client and a server in this one process, over a
 * memory BIO pair (no sockets, no scheduler: run it under callgrind and the
 * instruction count is the same on every run). Both sides use software keys
 * from files; OPENSSL_CONF decides which providers are loaded.
 *
 * usage: bench_hs DIR N [1.2|1.3]
 *   DIR holds server.pem server.key client.pem client.key ca.pem
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static SSL_CTX *make_ctx(const char *dir, const char *who, int server, int version)
{
    char cert[1024], key[1024], ca[1024];
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    snprintf(cert, sizeof(cert), "%s/%s.pem", dir, who);
    snprintf(key, sizeof(key), "%s/%s.key", dir, who);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
        !SSL_CTX_set_min_proto_version(ctx, version) ||
        !SSL_CTX_set_max_proto_version(ctx, version)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static int handshake(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *bc = NULL, *bs = NULL;
    int done = 0;
    if (c != NULL && s != NULL && BIO_new_bio_pair(&bc, 0, &bs, 0) == 1) {
        SSL_set_bio(c, bc, bc);
        SSL_set_bio(s, bs, bs);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        for (int i = 0; i < 50 && !done; i++) {
            int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
            done = rc == 1 && rs == 1;
        }
    }
    SSL_free(c);
    SSL_free(s);
    return done;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR N [1.2|1.3]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    int v = argc > 3 && strcmp(argv[3], "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX *sctx = make_ctx(argv[1], "server", 1, v), *cctx = make_ctx(argv[1], "client", 0, v);
    if (sctx == NULL || cctx == NULL || n <= 0) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (int i = 0; i < n; i++)
        if (!handshake(cctx, sctx)) {
            fprintf(stderr, "handshake %d failed\n", i);
            ERR_print_errors_fp(stderr);
            return 1;
        }
    printf("handshakes %d\n", n);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return 0;
}
