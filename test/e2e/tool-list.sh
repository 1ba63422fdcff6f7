#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool list / list --readers / --json / info against the standard test card.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program "iotsafe-tool=$TOOL"

card_up

ok "list --readers" "$TOOL" list --readers
like "the vpcd reader is listed" "$LAST_OUT" '^Virtual PCD 00 00$'
ok "list --readers --json" "$TOOL" list --readers --json
like "readers as a JSON array" "$LAST_OUT" '^\[.*"Virtual PCD 00 00".*\]$'

ok "list" "$TOOL" list
objs=$LAST_OUT
like "DEVKEY private key" "$objs" '^private-key +id=01 label=DEVKEY key-type=prime256v1 usage=general functions=sign hashes=SHA256,SHA384,SHA512 .*state=active'
like "DEVKEY public key" "$objs" '^public-key +id=01 label=DEVKEY key-type=prime256v1 '
like "GENKEY can sign and regenerate" "$objs" '^private-key +id=02 label=GENKEY .*functions=sign,keygen'
like "DHKEY does key agreement" "$objs" '^private-key +id=04 label=DHKEY .*functions=keygen,key-agreement'
like "PEER slot is empty and updatable" "$objs" '^public-key +id=05 label=PEER .*access=read,update state=empty'
like "BPKEY is brainpool" "$objs" '^private-key +id=06 label=BPKEY key-type=brainpoolP256r1 '
like "NOSIGN cannot sign" "$objs" '^private-key +id=07 label=NOSIGN .*functions=key-agreement '
like "PSK secret key" "$objs" '^secret-key +id=08 label=PSK '
like "DEVCERT file with its size" "$objs" '^file +id=02 label=DEVCERT .*size=[1-9][0-9]* '
like "CACERT file" "$objs" '^file +id=03 label=CACERT '

ok "list --json" "$TOOL" list --json
json=$LAST_OUT
like "JSON: DEVKEY entry" "$json" '\{"type": "private", "id": "01", "label": "DEVKEY", "key_type": "prime256v1", "curve": "prime256v1", "usage": "general", "functions": \["sign"\]'
like "JSON: file size" "$json" '"label": "DEVCERT".*"size": [1-9][0-9]*'
is "JSON: one entry per object" "$(printf '%s\n' "$json" | grep -c '"type": ')" "$(printf '%s\n' "$objs" | grep -c .)"
if [ -x /usr/bin/python3 ]; then
    ok "JSON parses" sh -c 'printf "%s" "$1" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); assert isinstance(d, list) and len(d) > 5"' sh "$json"
fi

ok "info" "$TOOL" info
like "info: reader" "$LAST_OUT" '^reader: Virtual PCD 00 00$'
like "info: sign function" "$LAST_OUT" '^functions: sign'
like "info: hashes" "$LAST_OUT" '^hashes: SHA256'
like "info: ECDSA" "$LAST_OUT" '^signature-algorithms: .*ecdsa'
like "info: sessions" "$LAST_OUT" '^max-sessions: [1-9]'
ok "info --json" "$TOOL" info --json
like "info --json: max_sessions" "$LAST_OUT" '^\{"reader": "Virtual PCD 00 00", .*"max_sessions": [1-9][0-9]*\}$'

ok "list with an exact reader name" "$TOOL" --reader "Virtual PCD 00 00" list
ok "list with a reader substring" "$TOOL" list --reader "PCD 00 00"
ok "list with the reader from IOTSAFE_READER" env IOTSAFE_READER="Virtual PCD 00 00" "$TOOL" list
fails 'no reader' "unknown reader name" "$TOOL" --reader "No Such Reader" list
is "unknown reader: exit code 3" "$LAST_RC" 3
fails 'unknown command' "unknown command" "$TOOL" lsit
is "bad arguments: exit code 2" "$LAST_RC" 2
fails 'does not apply' "option of another command" "$TOOL" list --in /dev/null
is "bad arguments: exit code 2" "$LAST_RC" 2
ok "--help" "$TOOL" --help
like "help documents exit codes" "$LAST_OUT" 'Exit codes'

done_testing
