#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# nginx with its TLS server key on the card (ssl_certificate_key = the
# key-reference file), 4 worker processes, `ssl_verify_client on`: the master
# loads the key, the forked workers sign on the card. Clients (openssl
# s_client, software certificates) see the card-key server certificate and
# nginx sees their identity ($ssl_client_s_dn), over TLS 1.3 and 1.2, from
# several workers; then `nginx -s reload` reloads the key and new workers go
# on signing on the card.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program nginx openssl
NGINX=$(PATH=$PATH:/usr/sbin command -v nginx)
card_up
make_keyfile
issue_card_cert_ext card-server 127.0.0.1 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1'
issue_cert client nginx-client client

port=$(free_port)
N=$WORK/nginx
mkdir -p "$N/tmp"
# nginx clears the environment of its workers: `env` keeps what the provider
# and libpcsclite read (the workers inherit the already loaded provider).
# reuseport lets the kernel spread connections over the workers.
cat >"$N/nginx.conf" <<EOF2
daemon off;
master_process on;
worker_processes 4;
user root;
pid $N/nginx.pid;
error_log $N/error.log info;
env PCSCLITE_CSOCK_NAME;
env OPENSSL_CONF;
events { worker_connections 64; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl reuseport;
        ssl_certificate $WORK/card-server.pem;
        ssl_certificate_key $KEYFILE;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        ssl_session_cache off;
        ssl_verify_client on;
        ssl_client_certificate $CA_CERT;
        location / {
            default_type text/plain;
            return 200 "worker=\$pid verify=\$ssl_client_verify proto=\$ssl_protocol dn=\$ssl_client_s_dn\n";
        }
    }
}
EOF2
ngx_args=(-e "$N/error.log" -p "$N/" -c "$N/nginx.conf")
ngx() { "${FOREIGN[@]}" "$NGINX" "${ngx_args[@]}" "$@"; }

ok "nginx -t accepts the card key file" ngx -t
n=$(card_signatures)
spawn "$N/stdout" "$N/stderr" "${FOREIGN[@]}" "$NGINX" "${ngx_args[@]}"
master=$SPAWNED_PID
if ! wait_port "$port"; then
    sed 's/^/# /' "$N/stderr" "$N/error.log"
    echo "Bail out! nginx did not start"
    exit 1
fi
workers() { ps -o pid= --ppid "$master" | tr -d ' ' | sort; }
for _ in $(seq 100); do [ "$(workers | wc -l)" -eq 4 ] && break; sleep 0.05; done
old_workers=$(workers)
is "nginx runs 4 workers" "$(printf '%s\n' "$old_workers" | grep -c .)" 4

# Twelve connections, each a full handshake (no session cache or tickets).
served=
good=0
for i in $(seq 12); do
    if [ $((i % 2)) = 0 ]; then v=-tls1_2; else v=-tls1_3; fi
    out=$(https_get "$port" "$WORK/client.pem" "$WORK/client.key" "$v")
    if printf '%s\n' "$out" | grep -q 'Verify return code: 0 (ok)' &&
        printf '%s\n' "$out" | grep -Eq '^worker=[0-9]+ verify=SUCCESS proto=TLSv1\.[23] dn=CN=nginx-client$'; then
        good=$((good + 1))
        served="$served $(printf '%s\n' "$out" | sed -n 's/^worker=\([0-9]*\) .*/\1/p')"
    else
        diag "request $i failed:"
        diag "$out"
    fi
done
is "12 requests: client verified the card-key server, nginx verified the client" "$good" 12
card_signed "the card signed every handshake (12)" "$n" 12
distinct=$(printf '%s\n' $served | sort -u)
like "requests were served by several workers" "$(printf '%s\n' "$distinct" | grep -c .)" '^[2-4]$'
is "every serving process is a forked worker of the master" \
    "$(comm -23 <(printf '%s\n' "$distinct") <(printf '%s\n' "$old_workers") | grep -c .)" 0
like "nginx logged the TLS 1.3 and TLS 1.2 requests" "$(count_lines "$N/access.log" '"GET / HTTP/1.0" 200')" '^12$'

# ---- a client without a certificate is refused by nginx (400, no certificate)
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" \
    -verify_return_error -CAfile "$CA_CERT" -ign_eof 2>&1)
like "a client without a certificate gets 400" "$out" '400 No required SSL certificate was sent'

# ---- reload: the master loads the key file again, new workers sign on the card
n=$(card_signatures)
ok "nginx -s reload" ngx -s reload
new_ok=0
for _ in $(seq 200); do
    cur=$(workers)
    if [ "$(printf '%s\n' "$cur" | grep -c .)" -eq 4 ] &&
        [ -z "$(comm -12 <(printf '%s\n' "$cur") <(printf '%s\n' "$old_workers"))" ]; then
        new_ok=1
        break
    fi
    sleep 0.05
done
is "after reload, 4 new workers replaced the old ones" "$new_ok" 1
new_workers=$(workers)
out=$(https_get "$port" "$WORK/client.pem" "$WORK/client.key" -tls1_3)
like "request after reload: server verified" "$out" 'Verify return code: 0 \(ok\)'
like "request after reload: client identity seen" "$out" '^worker=[0-9]+ verify=SUCCESS proto=TLSv1\.3 dn=CN=nginx-client$'
w=$(printf '%s\n' "$out" | sed -n 's/^worker=\([0-9]*\) .*/\1/p')
like "served by a new worker" "$new_workers" "^$w\$"
card_signed "the card signed after the reload" "$n"
ok "master still running" kill -0 "$master"
is "no [emerg] or [alert] in the nginx log" "$(count_lines "$N/error.log" '\[(emerg|alert)\]')" 0

stop_spawned "$master"
done_testing
