#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The opt-in card RNG "CARD-RNG" (GET RANDOM): always registered, used only
# where the [random] section of openssl.cnf names it, as the DRBG
# (random = CARD-RNG) or as the seed source of the default DRBG
# (seed = CARD-RNG), and giving bytes only with rand = 1 (config key or
# IOTSAFE_RAND=1). Without a [random] section naming it, the default
# provider's DRBG stays in charge and the card is not touched; named but off,
# every request fails with the provider's message, on every OpenSSL line.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up
cd "$WORK" || exit 1

# GET RANDOM is INS 84; count the commands in a trace.
get_randoms() {
    grep -Ec 'iotsafe: > [0-9A-F]{2} 84 ' "$1" || true
}
# openssl.cnf variants: the harness's file plus a [random] section and/or rand = 1.
with_random() { # OUT KEY=VALUE [rand]
    sed 's/^\[openssl_init\]$/[openssl_init]\nrandom = random_sect/' "$OPENSSL_CONF" >"$1"
    if [ "${3:-}" = rand ]; then
        sed -i 's/^\[iotsafe_sect\]$/[iotsafe_sect]\nrand = 1/' "$1"
    fi
    printf '[random_sect]\n%s\n' "$2" >>"$1"
}
with_random drbg.cnf 'random = CARD-RNG'
with_random seed.cnf 'seed = CARD-RNG'
with_random drbg-on.cnf 'random = CARD-RNG' rand
with_random seed-on.cnf 'seed = CARD-RNG' rand

# ---- off by default
ok "list -random-generators (rand off)" openssl list -random-generators
like "CARD-RNG @ iotsafe is registered (it refuses requests while off)" "$LAST_OUT" 'CARD-RNG @ iotsafe'
like "and the default DRBGs are still there" "$LAST_OUT" 'CTR-DRBG @ default'
IOTSAFE_TRACE=1 openssl rand -hex 16 >plain.out 2>plain.trace
is "openssl rand with rand off" "$?" 0
is "the default DRBG does not touch the card" "$(get_randoms plain.trace)" 0
IOTSAFE_RAND=1 IOTSAFE_TRACE=1 openssl rand -hex 16 >reg.out 2>reg.trace
is "openssl rand with rand on but no [random] section" "$?" 0
is "registering alone shadows nothing: no GET RANDOM" "$(get_randoms reg.trace)" 0

# ---- the card as the DRBG
IOTSAFE_RAND=1 IOTSAFE_TRACE=1 OPENSSL_CONF=$WORK/drbg.cnf openssl rand -hex 32 >drbg.out 2>drbg.trace
is "openssl rand with random = CARD-RNG" "$?" 0
like "64 hex digits" "$(cat drbg.out)" '^[0-9a-f]{64}$'
like "the bytes came from GET RANDOM" "$(get_randoms drbg.trace)" '^[1-9][0-9]*$'
like "GET RANDOM of 32 bytes, answer redacted" "$(cat drbg.trace)" 'iotsafe: < \[32 bytes redacted\] 90 00'
ok "rand = 1 as a config key in the provider section" \
    env OPENSSL_CONF="$WORK/drbg-on.cnf" IOTSAFE_TRACE=1 openssl rand -hex 32
like "config key enables it too" "$LAST_OUT" 'iotsafe: > [0-9A-F]{2} 84 '
ok "two runs" env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/drbg.cnf" openssl rand -out r1.hex -hex 32
ok "second run" env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/drbg.cnf" openssl rand -out r2.hex -hex 32
ok "give different bytes" sh -c '! cmp -s r1.hex r2.hex'
ok "a long request is split by the DRBG layer (10000 bytes)" \
    env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/drbg.cnf" openssl rand -out big.bin 10000
is "10000 bytes out" "$(wc -c <big.bin | tr -d ' ')" 10000

# `openssl rand -provider iotsafe -provider default`: providers from the command
# line, only the [random] section from the config.
printf 'openssl_conf = openssl_init\n[openssl_init]\nrandom = random_sect\n[random_sect]\nrandom = CARD-RNG\n' >cli.cnf
IOTSAFE_RAND=1 IOTSAFE_TRACE=1 OPENSSL_CONF=$WORK/cli.cnf openssl rand -provider-path "$BUILD_ROOT/provider" \
    -provider iotsafe -provider default -hex 32 >cli.out 2>cli.trace
is "openssl rand -provider iotsafe -provider default -hex 32" "$?" 0
like "card bytes through -provider" "$(get_randoms cli.trace)" '^[1-9][0-9]*$'

# ---- the card as the seed source of the default provider's DRBG
IOTSAFE_RAND=1 IOTSAFE_TRACE=1 OPENSSL_CONF=$WORK/seed.cnf openssl rand -hex 32 >seed.out 2>seed.trace
is "openssl rand with seed = CARD-RNG" "$?" 0
seed_len=$(printf '%02X' "$(line_expect drbg-seed-bytes)")
like "seeded from GET RANDOM ($(line_expect drbg-seed-bytes) bytes: CTR-DRBG entropy + nonce)" \
    "$(cat seed.trace)" "iotsafe: > [0-9A-F]{2} 84 00 00 $seed_len"
is "one card request seeds the whole chain" "$(get_randoms seed.trace)" 1
ok "a card signature with the card-seeded DRBG" env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/seed-on.cnf" \
    openssl req -new -key 'iotsafe:label=DEVKEY' -subj /CN=seeded -out seeded.csr

# ---- named in [random] but not enabled: the provider refuses, on every line
off_msg='the card RNG is off \(rand = 0\): set rand = 1'
fails "$off_msg" "random = CARD-RNG without rand = 1 fails with the provider's reason" \
    env OPENSSL_CONF="$WORK/drbg.cnf" IOTSAFE_TRACE=1 openssl rand -hex 8
is "and does not touch the card" "$(get_randoms <(printf '%s\n' "$LAST_OUT"))" 0
fails "$off_msg" "seed = CARD-RNG without rand = 1 fails with the provider's reason" \
    env OPENSSL_CONF="$WORK/seed.cnf" IOTSAFE_TRACE=1 openssl rand -hex 8
is "and does not touch the card" "$(get_randoms <(printf '%s\n' "$LAST_OUT"))" 0
# Why it is registered while off: OpenSSL's own handling of a seed source it
# cannot fetch differs by line (3.x seeds from the OS, 4.0 refuses).
with_random unknown.cnf 'seed = NO-SUCH-RNG'
if [ "$(line_expect seed-source-fallback)" = yes ]; then
    ok "seed = an unknown RAND: OpenSSL $IOTSAFE_OPENSSL_LINE falls back to its own seed source" \
        env OPENSSL_CONF="$WORK/unknown.cnf" openssl rand -hex 8
else
    fails 'unable to fetch drbg|error (retrieving entropy|instantiating drbg)' \
        "seed = an unknown RAND: OpenSSL $IOTSAFE_OPENSSL_LINE refuses" \
        env OPENSSL_CONF="$WORK/unknown.cnf" openssl rand -hex 8
fi

# ---- card absent
sim_stop
fails 'no card' "random = CARD-RNG with the card absent" \
    env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/drbg.cnf" openssl rand -hex 8
fails 'no card.*(.|\n)*error retrieving entropy|error retrieving entropy(.|\n)*no card|no card' \
    "seed = CARD-RNG with the card absent" \
    env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/seed.cnf" openssl rand -hex 8
ok "rand off: no card needed" openssl rand -hex 8
sim_start
ok "card RNG works again once the card is back" \
    env IOTSAFE_RAND=1 OPENSSL_CONF="$WORK/drbg.cnf" openssl rand -hex 8

done_testing
