#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The state processes share about a card (record of channel owners, queue of
# fair turns) lives in a directory only root and the group iotsafe may write
# ($STATE_DIR here, /run/iotsafe from the package). Each attack a local user
# could make on it, as that user, against root's signers; and the same damage
# from inside the group, which must cost a victim at most its own deadline and
# never close a channel that a live process uses. Victims are judged by their
# result, by a time bound (`timeout`, far above the deadline: no stopwatch),
# and by the card's own census of open channels (the simulator's log).
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/channels-common.sh"
. "$SOURCE_ROOT/test/e2e/card-session.sh"
line_program openssl "key_holder=$KEY_HOLDER" "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not installed"

NOBODY=65534 # not in the group: no influence on the shared state
MEMBER=33    # www-data, put in the group by as_user
card_up

# Signers are bounded far above their deadline: a hang fails the check, a slow pass does not.
victim() { timeout 60 env IOTSAFE_TIMEOUT=5 "$KEY_HOLDER" "$CARD_KEY_URI" "$@"; }
dbg_state() { # the shared-state words of the debug log in file $1
    sed -n 's/.*; shared state: //p' "$1" | head -n 1
}
# census lines (the simulator's log) from line $1 on that lack channel $2
lost_channel() {
    tail -n +"$1" "$WORK/sim.log" | grep -a 'iotsafe-sim: channels open:' |
        grep -vc -- " $2[ (]" || true
}
sim_lines() { wc -l <"$WORK/sim.log"; }
# a python program (on stdin) run with ARG in the background until stop_python NAME;
# waits for its line "ready"
start_python() { # NAME ARG
    local pid
    python3 - "$2" <&0 >"$WORK/$1.out" &
    pid=$!
    track_pid "$pid"
    eval "${1}_PID=$pid"
    until grep -q ready "$WORK/$1.out"; do sleep 0.05; done
}
stop_python() { # NAME
    local pid
    eval "pid=\$${1}_PID"
    kill "$pid"
    wait "$pid" 2>/dev/null
}
DBG=$WORK/dbg # debug logs of every user
mkdir -m 1777 "$DBG"

# ---- the boundary itself
start_holder HOLD # a live process holds channel 1 all along (and keeps the card powered)
powered=$(power_events)
ok "root signs with shared state" env IOTSAFE_TRACE="debug:$WORK/root.dbg" "$KEY_HOLDER" "$CARD_KEY_URI" exit
is "root's debug log names the directory and its group" "$(dbg_state "$WORK/root.dbg")" \
    "$STATE_DIR (group iotsafe)"
REC=$(ls "$STATE_DIR"/channels-*)
TURN=$(ls "$STATE_DIR"/turn-*)
is "the directory: root, group iotsafe, 2770" "$(stat -c '%U %G %a' "$STATE_DIR")" "root iotsafe 2770"
is "the record: group iotsafe, 660" "$(stat -c '%G %a' "$REC")" "iotsafe 660"
is "the queue: group iotsafe, 660, one page" "$(stat -c '%G %a %s' "$TURN")" "iotsafe 660 4096"

ok "a member (www-data in group iotsafe) signs and shares root's state" \
    as_user $MEMBER "$STATE_GID" env IOTSAFE_TRACE="debug:$DBG/member.dbg" \
    "$WORK/unpriv/key_holder" "$CARD_KEY_URI" exit
is "... the same directory as root (no split brain)" "$(dbg_state "$DBG/member.dbg")" \
    "$STATE_DIR (group iotsafe)"
is "... and the same files" "$(ls "$STATE_DIR" | wc -l)" 2

base=$(census)
ok "a user outside the group still signs with the card" \
    as_user $NOBODY "" env IOTSAFE_TRACE="debug:$DBG/nobody.dbg" \
    "$WORK/unpriv/key_holder" "$CARD_KEY_URI" exit
is "... without shared state, and the debug log says why" "$(dbg_state "$DBG/nobody.dbg")" \
    "none ($STATE_DIR (group iotsafe, mode 2770) is not writable by this user: not a member of group iotsafe)"
is "... and its channel was closed at exit all the same" "$(census)" "$base"

# ---- attacks from outside the group: every one is refused by the kernel
fails 'Permission denied' "outsider: truncating the queue is refused" \
    as_user $NOBODY "" truncate -s 0 "$TURN"
fails 'Permission denied' "outsider: writing garbage into the queue is refused" \
    as_user $NOBODY "" dd if=/dev/urandom of="$TURN" bs=4096 count=1 conv=notrunc
fails 'Permission denied' "outsider: forging the channel record is refused" \
    as_user $NOBODY "" sh -c "echo '1 1 1 1' >'$REC'"
fails 'Permission denied' "outsider: holding the record's lock is refused" \
    as_user $NOBODY "" flock -n "$REC" true
fails 'Permission denied' "outsider: squatting a symlink in the directory is refused" \
    as_user $NOBODY "" ln -s /dev/null "$STATE_DIR/turn-squat"
ok "root still signs" victim sign 3
is "... the queue is untouched" "$(stat -c '%s' "$TURN")" 4096

# ---- damage from inside the group (a buggy or hostile member): bounded, never obeyed
head -c 1048576 /dev/urandom >"$TURN"
ok "1 MiB of random bytes in the queue: the next signer signs" victim sign 2
is "... the queue was rebuilt" "$(stat -c '%s %G %a' "$TURN")" "4096 iotsafe 660"

# a served ticket whose owner is pid 1, holding its turn for another 60 s
forge_ticket() {
    python3 - "$TURN" <<'PY'
import struct, sys, time
path = sys.argv[1]
with open(path, "r+b") as f:
    page = bytearray(f.read(4096))
    magic, size, nxt, serving = struct.unpack_from("<IIII", page, 0)
    lease = int(time.clock_gettime(time.CLOCK_BOOTTIME) * 1000) + 60000
    # slot of the ticket being served: ticket, state HOLDING (2), pid 1, lease, ns, start
    struct.pack_into("<IIiIqQQ", page, 24 + (serving % 64) * 40, serving, 2, 1, 0, lease, 0, 0)
    struct.pack_into("<I", page, 8, serving + 1)
    f.seek(0)
    f.write(page)
PY
}
forge_ticket
ok "a forged served ticket (pid 1, 60 s lease): the next signer signs" victim sign 2
# the same with an unprivileged service user as the victim
member_victim() { as_user $MEMBER "$STATE_GID" timeout 60 env IOTSAFE_TIMEOUT=5 "$WORK/unpriv/key_holder" "$CARD_KEY_URI" "$@"; }
head -c 4096 /dev/urandom >"$TURN"
ok "random bytes again: a member (www-data) signs" member_victim sign 2
is "... and rebuilt the queue, for the group" "$(stat -c '%U %G %a %s' "$TURN")" "www-data iotsafe 660 4096"
forge_ticket
ok "a forged served ticket: the member signs too" member_victim sign 2
truncate -s 0 "$TURN"
ok "the queue truncated to nothing: the next signer signs" victim sign 2
is "... the queue was rebuilt" "$(stat -c '%s' "$TURN")" 4096

# a member holds the record's lock and never lets go
start_python FLOCK "$REC" <<'PY'
import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
print("ready", flush=True)
time.sleep(300)
PY
fails "MANAGE CHANNEL \\(open\\) on the card in reader .Virtual PCD 00 00.: the channel record $STATE_DIR/channels-[0-9a-f]{16} stayed locked for 2\\.0 s \\(another process holds it\\)" \
    "a record lock held for ever costs a new process its deadline, with the file named" \
    timeout 60 env IOTSAFE_TIMEOUT=2 "$KEY_HOLDER" "$CARD_KEY_URI" exit
is "... the channel it had opened was given back" "$(census)" "1"
stop_python FLOCK
ok "... and once the lock is let go, new processes sign" victim exit

# a member takes its turn and keeps it: a live holder (its lock held, a valid lease)
start_python TURNHOLDER "$TURN" <<'PY'
import fcntl, mmap, os, struct, sys, time
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 4096)
t = struct.unpack_from("<I", m, 8)[0]  # nobody queues now: ticket `next` is served at once
struct.pack_into("<I", m, 8, t + 1)
fcntl.fcntl(f.fileno(), fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 65536 + t, 1, 0))
lease = int(time.clock_gettime(time.CLOCK_BOOTTIME) * 1000) + 120000
ns = os.stat("/proc/self/ns/pid").st_ino
start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
struct.pack_into("<IIiIqQQ", m, 24 + (t % 64) * 40, t, 2, os.getpid(), 0, lease, ns, start)
print("ready", flush=True)
time.sleep(300)
PY
fails "waiting for the card in reader .Virtual PCD 00 00.: no turn after 2\\.0 s \\(another process holds it, or the card does not answer; queue $STATE_DIR/turn-[0-9a-f]{16}\\)" \
    "a turn held for ever costs a new process its deadline, with the queue named" \
    timeout 60 env IOTSAFE_TIMEOUT=2 "$KEY_HOLDER" "$CARD_KEY_URI" exit
stop_python TURNHOLDER
ok "... the holder gone (its lock with it), the next process signs at once" victim sign 2

# a forged record: every channel "owned" by dead processes, while live ones use them
start_holder H2
start_holder H3
is "three live processes hold the card's three channels" "$(census)" "1 2 3"
ns=$(stat -Lc %i /proc/self/ns/pid)
printf '1 999999 1 %s\n2 999998 1 %s\n3 999997 1 %s\n' "$ns" "$ns" "$ns" >"$REC"
mark=$(sim_lines)
ok "forged record: a new process finds the card full and still signs (basic channel)" victim sign 2
for ch in 1 2 3; do
    is "... channel $ch of a live process was never closed" "$(lost_channel "$mark" "$ch")" 0
done
is "... census" "$(census)" "1 2 3"
STOPPED=
stop_holder H2
stop_holder H3
is "the two holders exit normally" "$STOPPED" "0 0"
is "... and closed their own channels at exit" "$(census)" "1"

# ---- a signer in its own PID namespace: its pid means nothing on the host
start_holder NS unshare --pid --fork
is "a process in its own PID namespace holds channel 2" "$(census)" "1 2"
like "... its record line names pid 1 of another namespace" "$(grep '^2 ' "$REC")" "^2 1 [0-9]+ [0-9]+\$"
is "... a namespace that is not the host's" "$(grep -c "^2 1 [0-9]* $ns\$" "$REC")" 0
mark=$(sim_lines)
for i in 1 2 3 4 5 6; do # host processes die holding channel 3; their successors reclaim it
    ("$KEY_HOLDER" "$CARD_KEY_URI" kill >/dev/null 2>&1; true) 2>/dev/null
done
ok "the host's next process signs" victim sign 2
like "... dead host processes' channel 3 was reclaimed" \
    "$(tail -n +"$mark" "$WORK/sim.log" | grep -ac 'channels open: 1 2 (command)')" '^[1-9][0-9]*$'
is "... the namespaced process's channel 2 was never closed" "$(lost_channel "$mark" 2)" 0
STOPPED=
stop_holder NS
is "... it exits normally and closes its channel" "$STOPPED:$(census)" "0:1"

# ---- a channel closed under a live process anyway (another PC/SC program, a stale record)
session_start
session load "$CARD_KEY_URI"
session sign
is "a long-running process signs on its own channel" "$REPLY_LINE:$(census)" "sign ok:1 2"
ok "another PC/SC client closes channel 2 under it" \
    sh -c 'echo "00 70 80 02" | scriptor -r "Virtual PCD 00 00"'
is "... the card has only channel 1 open" "$(census)" "1"
session sign
is "... its next signature meets 6881, opens a new channel and signs" "$REPLY_LINE:$(census)" "sign ok:1 2"
session_stop
is "... it exits normally and closes that channel" "$SESSION_RC:$(census)" "0:1"

is "no power event hid anything up to here" "$(power_events)" "$powered"

# ---- 72 signers SIGKILLed at once, mid-queue: nothing jams (pcscd itself resets the
# card when a process dies inside a transaction: channels are lost, not jammed)
(
    pids=()
    for i in $(seq 72); do
        "$KEY_HOLDER" "$CARD_KEY_URI" sign 100000 >/dev/null 2>&1 &
        pids+=($!)
    done
    sleep 3
    kill -9 "${pids[@]}"
    wait "${pids[@]}"
) 2>/dev/null
ok "after 72 SIGKILLs mid-queue the next signer signs" victim sign 3
ok "... and the one after it" victim sign 3
queue_sane() {
    python3 - "$TURN" <<'PY'
import struct, sys
magic, size, nxt, serving = struct.unpack_from("<IIII", open(sys.argv[1], "rb").read(16))
print("ok" if magic == 0x32535449 and (nxt - serving) % 2**32 <= 64 else "bad %x %d %d" % (magic, nxt, serving))
PY
}
is "... the queue's counters are within bounds" "$(queue_sane)" ok

# ---- a directory or file nobody chose: no shared state, said in the debug log, work goes on
other_dir() { # DIR SETUP...: a fresh directory, then run SETUP in it
    local d=$1
    shift
    rm -rf "$d"
    mkdir "$d"
    "$@"
}
check_none() { # DESC DIR EXPECTED
    base=$(census)
    ok "$1: root signs" env IOTSAFE_STATE_DIR="$2" IOTSAFE_TRACE="debug:$WORK/none.dbg" \
        "$KEY_HOLDER" "$CARD_KEY_URI" exit
    is "$1: no shared state, and why" "$(dbg_state "$WORK/none.dbg")" "none ($3)"
    is "$1: its channel was closed at exit" "$(census)" "$base"
    rm -f "$WORK/none.dbg"
}
ln -s "$STATE_DIR" "$WORK/link"
check_none "the directory is a symlink" "$WORK/link" "$WORK/link is a symbolic link or not a directory"
other_dir "$WORK/squat" chown "$NOBODY" "$WORK/squat"
check_none "the directory belongs to another user" "$WORK/squat" \
    "$WORK/squat belongs to uid $NOBODY, not to root: another user could change it"
other_dir "$WORK/open" chmod 1777 "$WORK/open"
check_none "the directory is writable by everyone" "$WORK/open" \
    "$WORK/open is writable by every user (mode 1777): only a group may share it"
check_none "the directory does not exist" "$WORK/missing" "$WORK/missing does not exist"
key=${REC##*/channels-}
other_dir "$WORK/links" ln -s /dev/null "$WORK/links/channels-$key"
check_none "a symlink at the record's path" "$WORK/links" "$WORK/links/channels-$key is a symbolic link"
other_dir "$WORK/links2" ln -s /dev/null "$WORK/links2/turn-$key"
check_none "a symlink at the queue's path" "$WORK/links2" "$WORK/links2/turn-$key is a symbolic link"
other_dir "$WORK/fifo" mkfifo "$WORK/fifo/channels-$key"
check_none "a FIFO at the record's path" "$WORK/fifo" "$WORK/fifo/channels-$key is not a regular file"
other_dir "$WORK/wr" sh -c "touch '$WORK/wr/channels-$key' && chmod 0666 '$WORK/wr/channels-$key'"
check_none "a record writable by everyone" "$WORK/wr" "$WORK/wr/channels-$key is writable by every user (mode 0666)"
other_dir "$WORK/own" sh -c "touch '$WORK/own/turn-$key' && chown $NOBODY:$NOBODY '$WORK/own/turn-$key' && chmod 0600 '$WORK/own/turn-$key'"
check_none "a queue of another user, outside the group" "$WORK/own" \
    "$WORK/own/turn-$key belongs to uid $NOBODY gid $NOBODY, outside the directory's group"
ok "state-dir = none" env IOTSAFE_STATE_DIR=none IOTSAFE_TRACE="debug:$WORK/off.dbg" "$KEY_HOLDER" "$CARD_KEY_URI" exit
is "... said in the debug log" "$(dbg_state "$WORK/off.dbg")" "none (state-dir = none)"
fails "bad value 'relative/dir' for environment variable IOTSAFE_STATE_DIR \\(none or an absolute directory path\\)" \
    "a relative state-dir is a bad setting" env IOTSAFE_STATE_DIR=relative/dir "$KEY_HOLDER" "$CARD_KEY_URI" exit

done_testing
