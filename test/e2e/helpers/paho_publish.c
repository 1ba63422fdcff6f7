/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Publish one MQTT message over mutual TLS with the Eclipse Paho C client
 * (synchronous API, libpaho-mqtt3cs), taking the client certificate and the
 * private key as plain files.
 *
 * It links Paho only, none of our code: it stands for an unmodified Paho
 * application. A card-held key reaches it solely through OPENSSL_CONF (which
 * activates the provider) and a PEM key-reference file given as --key.
 *
 * usage: paho_publish --port N --cafile F --cert F --key F --topic T
 *                     --message M [--id ID]
 * exit: 0 published and acknowledged (QoS 1), 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <MQTTClient.h>

static void usage(void)
{
    fputs("usage: paho_publish --port N --cafile F --cert F --key F --topic T\n"
          "                    --message M [--id ID]\n",
          stderr);
}

/* Paho hands OpenSSL's error queue to this callback: show the reasons. */
static int print_ssl_error(const char *str, size_t len, void *u)
{
    (void)u;
    fprintf(stderr, "paho_publish: TLS: %.*s\n", (int)len, str);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},  {"cafile", required_argument, NULL, 'a'},
        {"cert", required_argument, NULL, 'c'},  {"key", required_argument, NULL, 'k'},
        {"topic", required_argument, NULL, 't'}, {"message", required_argument, NULL, 'm'},
        {"id", required_argument, NULL, 'i'},    {NULL, 0, NULL, 0},
    };
    const char *cafile = NULL, *cert = NULL, *key = NULL, *topic = NULL, *message = NULL;
    const char *id = "paho-publisher";
    long port = 0;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'p':
            errno = 0;
            port = strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
                usage();
                return 2;
            }
            break;
        case 'a':
            cafile = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'm':
            message = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc || port == 0 || !cafile || !cert || !key || !topic || !message) {
        usage();
        return 2;
    }

    char uri[64];
    snprintf(uri, sizeof uri, "ssl://127.0.0.1:%ld", port);
    MQTTClient client;
    int rc = MQTTClient_create(&client, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
    if (rc != MQTTCLIENT_SUCCESS) {
        fprintf(stderr, "paho_publish: MQTTClient_create: %s\n", MQTTClient_strerror(rc));
        return 1;
    }

    MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
    ssl.trustStore = cafile;
    ssl.keyStore = cert;
    ssl.privateKey = key;
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1; /* also check the host name / IP against the certificate */
    ssl.ssl_error_cb = print_ssl_error;
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    conn.keepAliveInterval = 20;
    conn.cleansession = 1;
    conn.connectTimeout = 20;
    conn.ssl = &ssl;

    int status = 1;
    rc = MQTTClient_connect(client, &conn);
    if (rc != MQTTCLIENT_SUCCESS) {
        fprintf(stderr, "paho_publish: connect to %s failed: %s (%d)\n", uri,
                MQTTClient_strerror(rc), rc);
        goto out;
    }
    MQTTClient_deliveryToken token;
    size_t len = strlen(message);
    rc = MQTTClient_publish(client, topic, (int)len, message, 1, 0, &token);
    if (rc == MQTTCLIENT_SUCCESS)
        rc = MQTTClient_waitForCompletion(client, token, 20000);
    if (rc != MQTTCLIENT_SUCCESS) {
        fprintf(stderr, "paho_publish: publish failed: %s (%d)\n", MQTTClient_strerror(rc), rc);
    } else {
        printf("published %zu bytes to %s\n", len, topic);
        status = 0;
    }
    MQTTClient_disconnect(client, 5000);
out:
    MQTTClient_destroy(&client);
    return status;
}
