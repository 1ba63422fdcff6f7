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

# ---- hostile card text in both listings, set in the card's state file. The
# PSK secret key (id 08): J RLO 1 LS 2 NEL 3 CSI 4 LRI 5, a valid e-acute, 6 ESC
# 7 DEL 8, a quote, a backslash, Z, RLM, U+0080, U+009F, PS: all well-formed
# UTF-8. The CACERT file (id 03): C, a byte FF, A, an encoded surrogate, T, a
# lone lead byte C3: malformed UTF-8.
sim_stop
sed -i -e 's/^label = 50534B$/label = 4AE280AE31E280A832C28533C29B34E281A635C3A9361B377F38225C5AE2808FC280C29FE280A9/I' \
    -e 's/^label = 434143455254$/label = 43FF41EDA08054C3/I' "$SIM_STATE"
is "PSK and CACERT relabelled" "$(grep -c '^label = \(4AE280AE\|43FF41\)' "$SIM_STATE")" 2
sim_start
E_ACUTE=$'\xc3\xa9'
ok "list with hostile labels" "$TOOL" list
like "text: PSK's label as escaped bytes" "$LAST_OUT" \
    '^secret-key +id=08 label=J\\xe2\\x80\\xae1\\xe2\\x80\\xa82\\xc2\\x853\\xc2\\x9b4\\xe2\\x81\\xa65'"$E_ACUTE"'6\\x1b7\\x7f8"\\\\Z\\xe2\\x80\\x8f\\xc2\\x80\\xc2\\x9f\\xe2\\x80\\xa9 '
like "text: CACERT's label as escaped bytes" "$LAST_OUT" '^file +id=03 label=C\\xffA\\xed\\xa0\\x80T\\xc3 '
ok "list --json with hostile labels" to_file "$WORK/hostile.json" "$TOOL" list --json
# JSON: controls, C1 controls, bidi controls and separators as \uXXXX, the
# valid e-acute as it is, each byte of malformed UTF-8 as \ufffd
JLABEL='"label": "J\u202e1\u20282\u00853\u009b4\u20665'"$E_ACUTE"'6\u001b7\u007f8\"\\Z\u200f\u0080\u009f\u2029"'
ok "JSON: PSK's label escaped" grep -qF -- "$JLABEL" "$WORK/hostile.json"
ok "JSON: CACERT's label escaped" grep -qF -- '"label": "C\ufffdA\ufffd\ufffd\ufffdT\ufffd"' "$WORK/hostile.json"
if [ -x /usr/bin/python3 ]; then
    # strict UTF-8, none of those characters raw, and the labels read back as the card's characters
    ok "JSON: no raw control, bidi or separator character; the labels decode back" /usr/bin/python3 -c '
import json, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
bad = [hex(ord(c)) for c in text
       if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c in "\u200e\u200f\u2028\u2029"
       or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]
assert not bad, "raw in the output: %s" % bad
label = {o["id"] + o["type"]: o.get("label") for o in json.loads(text)}
want = "J\u202e1\u20282\u00853\u009b4\u20665\u00e96\u001b7\u007f8\"\\Z\u200f\u0080\u009f\u2029"
assert label["08secret"] == want, ascii(label["08secret"])
assert label["03file"] == "C\ufffdA\ufffd\ufffd\ufffdT\ufffd", ascii(label["03file"])
' "$WORK/hostile.json"
fi

done_testing
