/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One client configuration of the TLS benchmark (bench/tls.sh runs several in
 * alternating rounds and turns their figures into ratios). The key is loaded
 * the way applications do it: a file through SSL_CTX_use_PrivateKey_file (the
 * curl 7.88 / mosquitto path, key-reference files included), anything else
 * as a URI through OSSL_STORE. Setup is not timed; each figure is the wall
 * time of the loop only. Prints one line: "<what> <count> <wall seconds> <CPU
 * seconds of this process>". On a busy machine the CPU time is the steadier
 * figure of what the client itself spends (it leaves out the server and the
 * card, which the wall time includes).
 *
 * usage: bench_tls handshake -p PORT -c CERT -k KEY -A CA [-V 1.2|1.3] [-n N]
 *        bench_tls sign -k KEY [-n N]
 *        bench_tls load -k KEY [-n N]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "digest_sign.h"
#include "now.h"
#include "store_load.h"

static int is_uri(const char *key)
{
    return strchr(key, ':') != NULL && access(key, R_OK) != 0;
}

/* A file is read the way SSL_CTX_use_PrivateKey_file reads it (PEM decoders, NULL propq). */
static EVP_PKEY *load_key(const char *key)
{
    if (is_uri(key))
        return store_load_pkey(key);
    BIO *in = BIO_new_file(key, "r");
    EVP_PKEY *pkey = in != NULL ? PEM_read_bio_PrivateKey_ex(in, NULL, NULL, NULL, NULL, NULL)
                                : NULL;
    BIO_free(in);
    return pkey;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One full mutual-TLS handshake and one request to `openssl s_server -www`. */
static int one_handshake(SSL_CTX *ctx, int port)
{
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    char buf[4096];
    int fd = tcp_connect(port), ok = 0;
    SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
    if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1 &&
        SSL_write(ssl, req, (int)sizeof(req) - 1) == (int)sizeof(req) - 1) {
        while (SSL_read(ssl, buf, sizeof(buf)) > 0)
            ;
        ok = 1;
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    return ok;
}

static int run_handshakes(int port, const char *cert, const char *key, const char *ca,
                          const char *version, int n)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int v = version != NULL && strcmp(version, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
        !SSL_CTX_set_min_proto_version(ctx, v) || !SSL_CTX_set_max_proto_version(ctx, v))
        return 0;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* every handshake is a full one */
    if (is_uri(key)) {
        EVP_PKEY *pkey = store_load_pkey(key);
        if (pkey == NULL || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
            return 0;
        EVP_PKEY_free(pkey);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        return 0;
    }
    if (SSL_CTX_check_private_key(ctx) != 1 || !one_handshake(ctx, port)) /* warm-up */
        return 0;
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++)
        if (!one_handshake(ctx, port))
            return 0;
    printf("handshakes %d %.6f %.6f\n", n, now_s() - t0, cpu_s() - c0);
    SSL_CTX_free(ctx);
    return 1;
}

static int run_signs(const char *key, int n)
{
    unsigned char msg[64] = {0};
    EVP_PKEY *pkey = load_key(key);
    if (pkey == NULL)
        return 0;
    double t0 = 0, c0 = 0;
    for (int i = -1; i < n; i++) { /* i == -1: warm-up */
        if (i == 0) {
            t0 = now_s();
            c0 = cpu_s();
        }
        msg[0] = (unsigned char)i;
        if (!digest_sign(pkey, NULL, msg, sizeof(msg)))
            return 0;
    }
    printf("signatures %d %.6f %.6f\n", n, now_s() - t0, cpu_s() - c0);
    EVP_PKEY_free(pkey);
    return 1;
}

/* Loads of the same key in one process; the first one is timed on its own. */
static int run_loads(const char *key, int n)
{
    double t0 = now_s();
    EVP_PKEY *pkey = load_key(key);
    double first = now_s() - t0;
    if (pkey == NULL)
        return 0;
    EVP_PKEY_free(pkey);
    t0 = now_s();
    double c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        if ((pkey = load_key(key)) == NULL)
            return 0;
        EVP_PKEY_free(pkey);
    }
    printf("loads %d %.6f %.6f first %.6f\n", n, now_s() - t0, cpu_s() - c0, first);
    return 1;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *ca = NULL, *version = "1.3";
    int port = 0, n = 100, opt, ok = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s handshake|sign|load [options]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    optind = 2;
    while ((opt = getopt(argc, argv, "p:c:k:A:V:n:")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'A':
            ca = optarg;
            break;
        case 'V':
            version = optarg;
            break;
        case 'n':
            n = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    if (key == NULL || n <= 0) {
        fprintf(stderr, "%s: -k KEY and a positive -n are required\n", argv[0]);
        return 2;
    }
    if (strcmp(mode, "handshake") == 0 && cert != NULL && ca != NULL && port > 0)
        ok = run_handshakes(port, cert, key, ca, version, n);
    else if (strcmp(mode, "sign") == 0)
        ok = run_signs(key, n);
    else if (strcmp(mode, "load") == 0)
        ok = run_loads(key, n);
    else {
        fprintf(stderr, "%s: bad mode or missing options\n", argv[0]);
        return 2;
    }
    if (!ok) {
        fprintf(stderr, "bench_tls %s failed with key %s\n", mode, key);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    return 0;
}
