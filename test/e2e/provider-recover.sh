#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Long-running processes across card removal, pcscd restarts and card resets:
# a card handle whose connection failed is freed once no operation uses it
# (daemons must not pile up PC/SC contexts and sockets: the open file count
# stays flat over the cycles), and `openssl s_server` with the card key keeps
# serving handshakes after each event.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/card-session.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "card_session=$CARD_SESSION"

PCSC_WAIT=$BUILD_ROOT/test/e2e/pcsc_wait
card_up

# pcscd_start does not wait for the reader: the simulator reconnects by itself.
wait_card() {
    "$PCSC_WAIT" --timeout 20000 --aid A0000005590010 >>"$WORK/wait.log" 2>&1
}

# ---- one process, many failures: the open file count stays flat
session_start
session load "$CARD_KEY_URI"
like "long-running process loads DEVKEY" "$REPLY_LINE" '^loaded 04[0-9a-f]{128}$'
session sign
is "first signature" "$REPLY_LINE" "sign ok"
session fds
like "open files counted" "$REPLY_LINE" '^fds [0-9]+$'
fds0=$REPLY_LINE

for i in 1 2 3 4 5; do
    sim_stop
    session sign
    is "card removed ($i): the signature fails" "$REPLY_LINE" "sign FAILED"
    sim_start
    session sign
    is "card back ($i): signs again" "$REPLY_LINE" "sign ok"
done
session fds
is "open files after 5 remove/fail/insert cycles (failed handles freed)" "$REPLY_LINE" "$fds0"

for i in 1 2 3; do
    pcscd_stop
    session sign
    is "pcscd stopped ($i): the signature fails" "$REPLY_LINE" "sign FAILED"
    pcscd_start
    ok "pcscd back ($i): the card is seen again" wait_card
    session sign
    is "pcscd back ($i): signs again" "$REPLY_LINE" "sign ok"
done
session fds
is "open files after 3 pcscd restarts" "$REPLY_LINE" "$fds0"

# A pcscd that has just started (socket activation, or after it exited idle) lists the reader at
# once but sees its card only at its first poll: the first command must not call that "no card".
for i in 1 2 3; do
    pcscd_stop
    pcscd_start
    ok "pcscd just started ($i): the first command finds the card" "$TOOL" list
done
sim_stop
fails 'iotsafe-tool: no card in the reader: opening the card: no card in any reader' \
    "a card removed is reported as gone" "$TOOL" list
sim_start
for i in 1 2; do
    card_reset
    session sign
    is "card reset ($i): signs (reconnected)" "$REPLY_LINE" "sign ok"
done
session fds
is "open files after 2 card resets" "$REPLY_LINE" "$fds0"
session_stop
is "the long-running process exits cleanly" "$SESSION_RC" 0
like "the failures were reported with their cause" "$(cat "$SESSION_ERR")" \
    'iotsafe:.*(no card in reader|PC/SC service not available)'

# ---- s_server with the card key survives a pcscd restart and a card reset
issue_card_cert card-server "$CARD_KEY_URI" "$DEVICE_CN" server
port=$(free_port)
spawn_listening "$port" "s_server with the card key" "$WORK/server.out" "$WORK/server.err" \
    openssl s_server -accept "127.0.0.1:$port" -rev \
    -cert "$WORK/card-server.pem" -key "$CARD_KEY_URI"
server=$SPAWNED_PID

client() {
    openssl s_client -connect "127.0.0.1:$port" -servername localhost \
        -verify_return_error -CAfile "$CA_CERT" -tls1_3 </dev/null
}

ok "handshake with the card-key server" client
like "verified" "$LAST_OUT" 'Verify return code: 0 \(ok\)'

pcscd_stop
pcscd_start
ok "pcscd restarted: the card is seen again" wait_card
ok "s_server survived the pcscd restart" kill -0 "$server"
ok "handshake after the pcscd restart" client
like "verified after the pcscd restart" "$LAST_OUT" 'Verify return code: 0 \(ok\)'

card_reset
ok "handshake after a card reset" client
like "verified after the card reset" "$LAST_OUT" 'Verify return code: 0 \(ok\)'

pcscd_stop
fails 'ssl3_read_bytes:tlsv1 alert internal error' \
    "no handshake while pcscd is down (the server cannot sign: internal error alert)" client
like "the server logged why" "$(cat "$WORK/server.err")" \
    'iotsafe:card_sign:PC/SC service not available:.*is pcscd running'
pcscd_start
ok "pcscd back once more" wait_card
ok "handshake after a failed one and a pcscd restart" client
like "verified after the outage" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
ok "s_server is still running" kill -0 "$server"
is "server completed every successful handshake" \
    "$(count_lines "$WORK/server.err" '^CONNECTION ESTABLISHED')" 4
stop_spawned "$server"

done_testing
