/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Publish one MQTT message over mutual TLS with libmosquitto, taking the
 * client certificate and private key as plain files.
 *
 * This program links only libmosquitto on purpose: it stands for an
 * unmodified third-party application. A card-held key reaches it solely
 * through OPENSSL_CONF (which activates the provider) and a PEM key-reference
 * file given as --key.
 *
 * usage: mqtt_publish --port N --cafile F --cert F --key F --topic T
 *                     --message M [--host H] [--id ID] [--qos 0|1|2]
 *                     [--timeout SECONDS]
 * exit: 0 published (and acknowledged for QoS > 0), 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "now.h"

struct options {
    const char *host;
    int port;
    const char *cafile;
    const char *cert;
    const char *key;
    const char *topic;
    const char *message;
    const char *id;
    int qos;
    int timeout_s;
};

/* Progress shared with the libmosquitto callbacks through the userdata. */
struct session {
    const struct options *opt;
    int mid; /* message id of our PUBLISH, -1 until sent */
    bool connected;
    bool published; /* PUBLISH sent (QoS 0) or acknowledged (QoS 1/2) */
    bool finished;  /* disconnected after success, or fatal error */
    int failure;    /* 0 or a message already printed */
};

static void usage(FILE *out)
{
    fputs("usage: mqtt_publish --port N --cafile F --cert F --key F --topic T\n"
          "                    --message M [--host H] [--id ID] [--qos 0|1|2]\n"
          "                    [--timeout SECONDS]\n",
          out);
}

/* Strict decimal integer in [lo, hi]; 0 on error. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0')
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return 0;
    *out = (int)v;
    return 1;
}

static int parse_args(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},    {"port", required_argument, NULL, 'p'},
        {"cafile", required_argument, NULL, 'a'},  {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},     {"topic", required_argument, NULL, 't'},
        {"message", required_argument, NULL, 'm'}, {"id", required_argument, NULL, 'i'},
        {"qos", required_argument, NULL, 'q'},     {"timeout", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'H'},          {NULL, 0, NULL, 0},
    };
    int c;

    *opt = (struct options){
        .host = "127.0.0.1", .port = 0, .qos = 1, .timeout_s = 10, .id = "iotsafe-mqtt-publish"};
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            opt->host = optarg;
            break;
        case 'p':
            if (!parse_int(optarg, 1, 65535, &opt->port)) {
                fprintf(stderr, "mqtt_publish: bad --port '%s'\n", optarg);
                return 0;
            }
            break;
        case 'a':
            opt->cafile = optarg;
            break;
        case 'c':
            opt->cert = optarg;
            break;
        case 'k':
            opt->key = optarg;
            break;
        case 't':
            opt->topic = optarg;
            break;
        case 'm':
            opt->message = optarg;
            break;
        case 'i':
            opt->id = optarg;
            break;
        case 'q':
            if (!parse_int(optarg, 0, 2, &opt->qos)) {
                fprintf(stderr, "mqtt_publish: bad --qos '%s'\n", optarg);
                return 0;
            }
            break;
        case 'w':
            if (!parse_int(optarg, 1, 3600, &opt->timeout_s)) {
                fprintf(stderr, "mqtt_publish: bad --timeout '%s'\n", optarg);
                return 0;
            }
            break;
        case 'H':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "mqtt_publish: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return 0;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "mqtt_publish: unexpected argument '%s'\n", argv[optind]);
        return 0;
    }
    if (opt->port == 0 || opt->cafile == NULL || opt->cert == NULL || opt->key == NULL ||
        opt->topic == NULL || opt->message == NULL) {
        fputs("mqtt_publish: --port, --cafile, --cert, --key, --topic and "
              "--message are required\n",
              stderr);
        return 0;
    }
    if (strlen(opt->message) > INT_MAX) {
        fputs("mqtt_publish: message too long\n", stderr);
        return 0;
    }
    return 1;
}

static void on_connect(struct mosquitto *mosq, void *userdata, int rc)
{
    struct session *s = userdata;
    int prc;

    if (rc != 0) {
        fprintf(stderr, "mqtt_publish: broker refused the connection: %s\n",
                mosquitto_connack_string(rc));
        s->failure = 1;
        s->finished = true;
        return;
    }
    s->connected = true;
    prc = mosquitto_publish(mosq, &s->mid, s->opt->topic, (int)strlen(s->opt->message),
                            s->opt->message, s->opt->qos, false);
    if (prc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_publish: publish failed: %s\n", mosquitto_strerror(prc));
        s->failure = 1;
        s->finished = true;
    }
}

/* Called when QoS 0 is written out, or when QoS 1/2 is acknowledged. */
static void on_publish(struct mosquitto *mosq, void *userdata, int mid)
{
    struct session *s = userdata;

    if (mid != s->mid)
        return;
    s->published = true;
    mosquitto_disconnect(mosq);
}

static void on_disconnect(struct mosquitto *mosq, void *userdata, int rc)
{
    struct session *s = userdata;

    (void)mosq;
    if (!s->published && s->failure == 0) {
        fprintf(stderr,
                "mqtt_publish: connection lost before the message "
                "was delivered: %s\n",
                mosquitto_strerror(rc));
        s->failure = 1;
    }
    s->finished = true;
}

/* libmosquitto reports OpenSSL's reasons only through its log callback. */
static void on_log(struct mosquitto *mosq, void *userdata, int level, const char *str)
{
    (void)mosq;
    (void)userdata;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        fprintf(stderr, "mqtt_publish: libmosquitto: %s\n", str);
}

static int run(const struct options *opt)
{
    struct session s = {.opt = opt, .mid = -1};
    struct mosquitto *mosq;
    double deadline;
    int rc, ret = 1;

    mosq = mosquitto_new(opt->id, true, &s);
    if (mosq == NULL) {
        fprintf(stderr, "mqtt_publish: mosquitto_new: %s\n", strerror(errno));
        return 1;
    }
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_publish_callback_set(mosq, on_publish);
    mosquitto_disconnect_callback_set(mosq, on_disconnect);
    mosquitto_log_callback_set(mosq, on_log);

    /*
     * The key file is handed to OpenSSL unchanged: whether it holds a
     * software key or a reference to a card key is OpenSSL's business.
     */
    rc = mosquitto_tls_set(mosq, opt->cafile, NULL, opt->cert, opt->key, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_publish: TLS setup (cafile %s, cert %s, key %s): %s\n", opt->cafile,
                opt->cert, opt->key, mosquitto_strerror(rc));
        goto out;
    }
    /* mosquitto_connect does the TCP connect and the TLS handshake. */
    rc = mosquitto_connect(mosq, opt->host, opt->port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_publish: connect to %s:%d failed: %s\n", opt->host, opt->port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        goto out;
    }

    deadline = now_s() + opt->timeout_s;
    while (!s.finished) {
        if (now_s() > deadline) {
            fprintf(stderr, "mqtt_publish: timed out after %d s (%s)\n", opt->timeout_s,
                    s.connected ? "no acknowledgement" : "no CONNACK");
            goto out;
        }
        rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS && !s.finished) {
            fprintf(stderr, "mqtt_publish: network loop: %s\n",
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            goto out;
        }
    }
    if (s.failure == 0 && s.published) {
        printf("published %zu bytes to '%s' (qos %d)\n", strlen(opt->message), opt->topic,
               opt->qos);
        ret = 0;
    }
out:
    mosquitto_destroy(mosq);
    return ret;
}

int main(int argc, char **argv)
{
    struct options opt;
    int ret;

    if (!parse_args(argc, argv, &opt)) {
        usage(stderr);
        return 2;
    }
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
        fputs("mqtt_publish: mosquitto_lib_init failed\n", stderr);
        return 1;
    }
    ret = run(&opt);
    mosquitto_lib_cleanup();
    return ret;
}
