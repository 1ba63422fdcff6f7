#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Key generation on the card through `openssl genpkey`: the container named by
# iotsafe-uri / iotsafe-id / iotsafe-label gets a new key pair (GENERATE KEY
# PAIR), -out writes the key reference, the new key signs, other processes and
# later loads in the same process see the new public key. Refusals: no keygen
# function, missing container, wrong curve, no container given, card absent.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL" "keygen_refresh=$KEYGEN_REFRESH"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
# With openssl.cnf activating default first, genpkey needs the property query.
genpkey() {
    openssl genpkey -propquery '?provider=iotsafe' -algorithm EC "$@"
}
pub_of() {
    openssl pkey -in "$1" -pubout 2>/dev/null
}

card_up
cd "$WORK" || exit 1
printf 'signed by a key born on the card\n' >msg

# ---- the three ways to name the container
ok "public key of GENKEY before" sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -pubout -out before.pem"
ok "genpkey -pkeyopt iotsafe-label:GENKEY -out" genpkey -pkeyopt iotsafe-label:GENKEY -out gen1.pem
like "-out is a key reference" "$(head -n 1 gen1.pem)" '^-----BEGIN IOTSAFE KEY REFERENCE-----$'
ok "the key reference names the container" ossl asn1parse -in gen1.pem
like "URI inside" "$LAST_OUT" 'iotsafe:id=%02;label=GENKEY;type=private'
ok "public key of the generated key" sh -c "openssl pkey -in gen1.pem -pubout -out gen1.pub"
ok "another process loads the new key from the card" \
    sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -pubout -out after1.pem"
ok "it is the generated key" cmp gen1.pub after1.pem
ok "the container's key changed" sh -c '! cmp -s before.pem after1.pem'
ok "iotsafe-tool sees the same new key (one code path)" "$TOOL" pubkey --label GENKEY --out tool1.pem
ok "tool and provider agree" cmp tool1.pem after1.pem
ok "the new key signs through the key file" openssl dgst -sha256 -sign gen1.pem -out sig1 msg
ok "default provider verifies with the new public key" \
    ossl dgst -sha256 -verify after1.pem -signature sig1 msg

ok "genpkey -pkeyopt iotsafe-uri (with group P-256)" \
    genpkey -pkeyopt 'iotsafe-uri:iotsafe:label=GENKEY;type=private' -pkeyopt group:P-256 -out gen2.pem
ok "public key after the second generation" sh -c "openssl pkey -in gen2.pem -pubout -out gen2.pub"
ok "second generation gave another key" sh -c '! cmp -s gen1.pub gen2.pub'
ok "genpkey -pkeyopt iotsafe-id:02 -pkeyopt ec_paramgen_curve:prime256v1" \
    genpkey -pkeyopt iotsafe-id:02 -pkeyopt ec_paramgen_curve:prime256v1 -out gen3.pem
# The private key URI (the file's first UTF8String) names the same container.
uri_of() {
    ossl asn1parse -in "$1" | sed -n 's/.*UTF8STRING *://p' | head -n 1
}
is "key reference by id names the same container" "$(uri_of gen3.pem)" "$(uri_of gen2.pem)"
ok "genpkey -out writes a v2 key file" ossl asn1parse -in gen3.pem
like "v2 magic" "$LAST_OUT" 'IoT SAFE key reference v2'
ok "public key after the third generation" sh -c "openssl pkey -in gen3.pem -pubout -out gen3.pub"
ok "third generation gave another key" sh -c '! cmp -s gen2.pub gen3.pub'
ok "the card's key, read by URI" sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -pubout -out gen3.card.pub"
ok "is the public key the v2 file carries" cmp gen3.pub gen3.card.pub
ok "pkey -text_pub of a generated key file" openssl pkey -in gen3.pem -text_pub -noout
like "text shows the public half and the curve" "$LAST_OUT" 'ASN1 OID: prime256v1'
ok "genpkey by URI with reader" \
    genpkey -pkeyopt 'iotsafe-uri:iotsafe:label=GENKEY;reader=Virtual%20PCD' -out gen5.pem
ok "the reader stays in the key reference" ossl asn1parse -in gen5.pem
like "reader in the URI" "$LAST_OUT" 'reader=Virtual%20PCD'
ok "the reader-bound key file signs" openssl dgst -sha256 -sign gen5.pem -out sig5 msg
ok "public key after generation by reader" sh -c "openssl pkey -in gen5.pem -pubout -out gen5.pub"
ok "and the signature verifies" ossl dgst -sha256 -verify gen5.pub -signature sig5 msg

# ---- one process: a load after generation sees the new key
ok "in-process: store load, EVP keygen, store load again" "$KEYGEN_REFRESH" GENKEY
like "the reload sees the generated key" "$LAST_OUT" 'ok: the reload sees the generated key'
# Two reader selectors reach the same card through two handles: generating
# through one must not leave the other serving the old public key.
ok "in-process: load with reader=, generate without, reload with reader=" \
    "$KEYGEN_REFRESH" GENKEY "Virtual PCD 00 00"
like "loads named the reader" "$LAST_OUT" \
    '^load iotsafe:label=GENKEY;type=private;reader=Virtual%20PCD%2000%2000$'
like "generation named none" "$LAST_OUT" '^generate iotsafe:label=GENKEY;type=private$'
like "the reader-bound reload sees the generated key" "$LAST_OUT" 'ok: the reload sees the generated key'
ok "in-process: load without reader, generate with reader=, reload without" \
    "$KEYGEN_REFRESH" GENKEY "" "Virtual PCD 00 00"
like "the selector-free reload sees the generated key" "$LAST_OUT" 'ok: the reload sees the generated key'

# ---- the -provider form (no openssl.cnf providers: iotsafe first, so no propquery)
ok "genpkey -provider iotsafe -provider default (OPENSSL_CONF=/dev/null)" \
    env OPENSSL_CONF=/dev/null openssl genpkey -provider-path "$BUILD_ROOT/provider" \
    -provider iotsafe -provider default -algorithm EC -pkeyopt iotsafe-label:GENKEY -out gen6.pem
like "the -provider form writes a key reference too" "$(head -n 1 gen6.pem)" 'IOTSAFE KEY REFERENCE'
fails 'default_fixup_args:command not supported:.*name=iotsafe-label, value=GENKEY' \
    "default first without a propquery: the default EC keymgmt rejects our option" \
    openssl genpkey -algorithm EC -pkeyopt iotsafe-label:GENKEY
like "genpkey names the refused option" "$LAST_OUT" '^genpkey: Error setting iotsafe-label:GENKEY parameter:'

# ---- parameters only: libcrypto's EC parameter "templates" never touch the card
pcscd_stop
IOTSAFE_TRACE=1 openssl genpkey -propquery '?provider=iotsafe' -genparam -algorithm EC \
    -pkeyopt group:P-256 -out params.pem 2>params.trace
is "genpkey -genparam through the provider, pcscd stopped" "$?" 0
like "EC parameters written" "$(cat params.pem)" 'BEGIN EC PARAMETERS'
is "no APDU for parameters" "$(grep -c 'iotsafe: >' params.trace)" 0
fails 'EC parameter generation needs a curve' "parameters without a curve are refused" \
    openssl genpkey -propquery '?provider=iotsafe' -genparam -algorithm EC
pcscd_start
sim_stop
sim_start

# ---- survives a card restart
ok "public key before the restart" sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -pubout -out pre.pem"
sim_stop
sim_start
ok "public key after the restart" sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -pubout -out post.pem"
ok "the generated key is persistent" cmp pre.pem post.pem

# ---- brainpool container
ok "genpkey BPKEY with group brainpoolP256r1" \
    genpkey -pkeyopt iotsafe-label:BPKEY -pkeyopt group:brainpoolP256r1 -out bp.pem
ok "BPKEY's new public key" sh -c "openssl pkey -in bp.pem -pubout | openssl pkey -pubin -text -noout"
like "on brainpoolP256r1" "$LAST_OUT" 'brainpoolP256r1'

# ---- refusals, each with its message
ok "DEVKEY before the refused generation" sh -c "openssl pkey -in 'iotsafe:label=DEVKEY' -pubout -out dev-before.pem"
fails 'private key id=01 \(DEVKEY\) does not allow key generation' \
    "container without the keygen function is refused" genpkey -pkeyopt iotsafe-label:DEVKEY
ok "DEVKEY after the refusal" sh -c "openssl pkey -in 'iotsafe:label=DEVKEY' -pubout -out dev-after.pem"
ok "DEVKEY unchanged" cmp dev-before.pem dev-after.pem
fails 'no private key matching iotsafe:label=NOSUCHKEY on the card' \
    "missing container (label)" genpkey -pkeyopt iotsafe-label:NOSUCHKEY
fails 'no private key matching iotsafe:id=%33 on the card' \
    "missing container (id)" genpkey -pkeyopt iotsafe-id:33
fails 'no private key matching iotsafe:label=PEER' \
    "a public key object is no container" genpkey -pkeyopt iotsafe-label:PEER
fails 'holds prime256v1 keys, not brainpoolP256r1' \
    "wrong curve for the container" genpkey -pkeyopt iotsafe-label:GENKEY -pkeyopt group:brainpoolP256r1
fails 'holds brainpoolP256r1 keys, not prime256v1' \
    "wrong curve for the brainpool container" genpkey -pkeyopt iotsafe-label:BPKEY -pkeyopt group:P-256
fails 'curve secp384r1 is not available on IoT SAFE cards' \
    "unsupported curve" genpkey -pkeyopt iotsafe-label:GENKEY -pkeyopt group:secp384r1
fails 'key generation needs the card container' \
    "no container given" genpkey
fails 'must name a private key container' \
    "type=public in iotsafe-uri" genpkey -pkeyopt 'iotsafe-uri:iotsafe:label=GENKEY;type=public'
fails 'names no container' \
    "URI without id or label" genpkey -pkeyopt 'iotsafe-uri:iotsafe:'
fails 'malformed URI' \
    "malformed URI" genpkey -pkeyopt 'iotsafe-uri:iotsafe:label=%zz'
fails 'is not a hex key ID' \
    "bad hex ID" genpkey -pkeyopt iotsafe-id:0g
sim_stop
fails 'no card' "card absent" genpkey -pkeyopt iotsafe-label:GENKEY
sim_start
ok "generation works again once the card is back" genpkey -pkeyopt iotsafe-label:GENKEY -out gen7.pem

done_testing
