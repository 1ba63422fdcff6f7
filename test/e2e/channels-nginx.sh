#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Channel census around nginx with the server key on a SIM-sized card (basic +
# 3 logical channels): root master + 4 workers running as www-data in the
# group iotsafe (they share the master's channel record and queue of turns),
# 20 reloads, 20 `nginx -t`, stop.
# nginx never tears OpenSSL's providers down; the card's channel count (from
# the simulator's log) must be back where it began after each phase.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/channels-common.sh"
line_program nginx curl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "nginx not installed"

card_up

hold_card
base=$(census)
is "census before nginx" "$base" "1"
powered=$(power_events)

issue_card_cert nginx-server "$CARD_KEY_URI" "$DEVICE_CN" server
keyfile=$WORK/card-key.pem
ok "key-reference PEM for the server key" "$TOOL" keyfile --label DEVKEY --out "$keyfile"

N=$WORK/nginx
mkdir -p "$N/logs"
chmod 0711 "$WORK" # the workers reach pcscd's socket and the state directory below it
port=$(free_port)
cat >"$N/nginx.conf" <<EOF
user www-data iotsafe;
worker_processes 4;
pid $N/nginx.pid;
error_log $N/logs/error.log info;
env OPENSSL_CONF;
env PCSCLITE_CSOCK_NAME;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $N/body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $WORK/nginx-server.pem;
        ssl_certificate_key $keyfile;
        ssl_protocols TLSv1.3;
        location / { return 200 "card\n"; }
    }
}
EOF
# sanitizer pass: nginx loads the instrumented provider, so it needs the runtime
# preloaded; it never frees its configuration, so leaks are not its findings
NGX=("$NGINX")
if [ -n "${IOTSAFE_SAN_PRELOAD:-}" ]; then
    NGX=(env LD_PRELOAD="$IOTSAFE_SAN_PRELOAD" ASAN_OPTIONS=detect_leaks=0:exitcode=23 "$NGINX")
fi
ngx() { "${NGX[@]}" -p "$N" -c "$N/nginx.conf" "$@"; }

handshakes() { # N handshakes; all must verify and get the page
    local i good=0
    for i in $(seq "$1"); do
        # the client is plain software: keep the provider (and a sanitizer runtime) out of it
        if OPENSSL_CONF=/dev/null curl -s --cacert "$CA_CERT" --resolve "localhost:$port:127.0.0.1" \
            "https://localhost:$port/" 2>>"$WORK/curl.err" | grep -qx card; then
            good=$((good + 1))
        fi
    done
    echo "$good"
}
workers() {
    pgrep -P "$(cat "$N/nginx.pid" 2>/dev/null || echo 0)" | wc -l
}
# after a reload, old workers leave when their connections are done
settle() {
    local i=0
    while [ "$(workers)" -ne 4 ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 0.3
}

ok "nginx -t with the card key" ngx -t
is "census after nginx -t" "$(census)" "$base"

"${NGX[@]}" -p "$N" -c "$N/nginx.conf" -g 'daemon off;' >"$N/stdout" 2>&1 &
master=$!
track_pid "$master"
wait_port "$port" || _h_bail "nginx did not start"
settle
is "master + 4 workers" "$(workers)" 4
is "the workers run as www-data, group iotsafe" \
    "$(ps -o user=,group= --ppid "$(cat "$N/nginx.pid")" | sort -u | tr -s ' ')" "www-data iotsafe"
is "20 handshakes signed by the card through the workers" "$(handshakes 20)" 20

for i in $(seq 20); do
    ngx -s reload 2>>"$WORK/reload.err"
    settle
    handshakes 2 >/dev/null
done
is "handshakes after 20 reloads" "$(handshakes 8)" 8
ok "nginx master still running" kill -0 "$master"

for i in $(seq 20); do
    ngx -t >>"$WORK/t.out" 2>&1 || echo "nginx -t $i failed" >>"$WORK/t.fail"
done
is "20 nginx -t runs with the card key succeeded" "$(cat "$WORK/t.fail" 2>/dev/null)" ""

ngx -s quit
i=0
while kill -0 "$master" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
ok "nginx stopped" sh -c "! kill -0 $master 2>/dev/null"
is "census after nginx start, 20 reloads, 20 -t and stop: back where it began" "$(census)" "$base"
is "master and workers kept one channel record and one queue" "$(ls "$STATE_DIR" | wc -l)" 2
is "... both the group's" "$(stat -c '%G %a' "$STATE_DIR"/* | sort -u)" "iotsafe 660"
is "no power event reset the card meanwhile" "$(power_events)" "$powered"
like "the card signed the handshakes (COMPUTE SIGNATURE in the simulator)" \
    "$(grep -a -c 'channels open' "$WORK/sim.log")" '^[1-9][0-9]*$'
diag "channel census changes seen: $(grep -a -c 'channels open' "$WORK/sim.log")"

done_testing
