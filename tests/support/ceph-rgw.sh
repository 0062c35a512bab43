#!/bin/bash
# A single-node Ceph serving S3 through radosgw on loopback, for the tests (started by
# tests/support/ceph.rs; the recipe and what was seen on it: docs/design.md, "Real servers for
# tests and benchmarks"). One monitor, one memstore OSD (data in memory), radosgw's beast frontend,
# no manager, no systemd, every file under DIR.
#
#   bash ceph-rgw.sh DIR RGW_PORT MON_PORT ACCESS_KEY SECRET_KEY    (stdin: the test's lifeline)
#
# MON_PORT and MON_PORT+1 must be free (msgr2 and msgr1). This script is its own watchdog, because
# Ceph's daemons fork into the background where no parent can reap them:
#   1. it brings the cluster up and writes DIR/up-status (0 = the S3 user exists and radosgw answers;
#      anything else = failed, the reason in DIR/setup.log and DIR/log/);
#   2. it waits for end-of-file on its stdin, which comes when the test process closes the pipe
#      (drop, exit, panic or SIGKILL: the kernel closes it);
#   3. it kills every daemon by the pid in its pid file (checking that the pid is still that daemon;
#      never by name: other Ceph clusters may run on the machine), then removes DIR.
# A failed start stops what it started at once and keeps DIR (the logs) until step 3.
set -u

DIR=$1 RGW_PORT=$2 MON_PORT=$3 S3_ACCESS=$4 S3_SECRET=$5
MON_PORT1=$((MON_PORT + 1))
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF # every ceph / radosgw-admin call reads this config

exec 3<&0 </dev/null

T0=$(date +%s.%N)
ts() { printf '[%6.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{print a-b}')" "$*"; }
wait_for() { # wait_for <timeout_s> <description> <command...>
    local t=$1 d=$2 i
    shift 2
    for ((i = 0; i < t * 4; i++)); do
        if "$@" >/dev/null 2>&1; then
            ts "ok: $d"
            return 0
        fi
        sleep 0.25
    done
    echo "TIMEOUT waiting for: $d" >&2
    return 1
}

up() {
    set -euo pipefail
    for p in $MON_PORT $MON_PORT1 $RGW_PORT; do
        if ss -Hltn "sport = :$p" | grep -q .; then
            echo "port $p already in use" >&2
            return 98
        fi
    done
    mkdir -p "$DIR"/{run,log,data/mon.a,data/osd.0,data/client.rgw.a}
    local fsid
    fsid=$(uuidgen)
    ts "writing $CONF (fsid $fsid)"
    cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT1]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $DIR/keyring
run_dir = $DIR/run
pid_file = $DIR/run/\$name.pid
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
crash_dir = $DIR/log/crash
log_to_stderr = false
err_to_stderr = false
# one OSD: pools of size 1, few placement groups
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
# a shared /tmp: never refuse to start for lack of space. ceph-mon exits with status 28 (ENOSPC)
# when the share of the disk still free, as a whole percent, is at or below mon_data_avail_crit; a
# CI machine with under 1% of a large disk free rounds to 0 and failed so (the cluster needs a few MiB)
mon_data_avail_warn = 0
mon_data_avail_crit = -1
mon_allow_pool_delete = true
debug_ms = 0
debug_mon = 1
debug_osd = 1
debug_rgw = 1

[mon]
mon_data = $DIR/data/\$name
mon_cluster_log_file = $DIR/log/cluster.log

[osd]
osd_data = $DIR/data/\$name
keyring = $DIR/data/\$name/keyring
osd_objectstore = memstore
memstore_device_bytes = 4294967296
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64

[client.rgw.a]
rgw_data = $DIR/data/\$name
keyring = $DIR/data/\$name/keyring
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_dns_name = 127.0.0.1
# SSE-C over plain http, as the tests use it
rgw_crypt_require_ssl = false
log_file = $DIR/log/\$name.log
EOF

    ts "keyrings + monmap"
    ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$DIR/keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT1]" \
        "$DIR/monmap" >/dev/null

    ts "mon mkfs + start"
    ceph-mon -i a --mkfs --monmap "$DIR/monmap" --keyring "$DIR/keyring"
    ceph-mon -i a # forks into the background; pid in run/mon.a.pid
    wait_for 60 "mon quorum" ceph -s --connect-timeout 5

    ts "osd create + mkfs (memstore)"
    local osd_uuid osd_secret osd_id
    osd_uuid=$(uuidgen)
    osd_secret=$(ceph-authtool --gen-print-key)
    echo "{\"cephx_secret\": \"$osd_secret\"}" >"$DIR/data/osd.0/new.json"
    osd_id=$(ceph osd new "$osd_uuid" -i "$DIR/data/osd.0/new.json")
    [ "$osd_id" = 0 ] || {
        echo "unexpected osd id $osd_id" >&2
        return 1
    }
    rm -f "$DIR/data/osd.0/new.json"
    ceph-osd -i 0 --mkfs --key "$osd_secret" --osd-uuid "$osd_uuid" >"$DIR/log/osd.0.mkfs.log" 2>&1 || {
        tail -n 5 "$DIR/log/osd.0.mkfs.log" >&2
        echo "osd mkfs failed" >&2
        return 1
    }
    # --mkfs keeps the key inside the object store only; the daemon needs a keyring file
    ceph-authtool --create-keyring "$DIR/data/osd.0/keyring" -n osd.0 --add-key "$osd_secret" >/dev/null
    ts "osd start"
    ceph-osd -i 0
    wait_for 120 "osd.0 up" bash -c "ceph osd dump --format json | grep -q '\"up\":1'"

    ts "radosgw start (creates its pools on first start)"
    ceph auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' mgr 'allow rw' \
        -o "$DIR/data/client.rgw.a/keyring"
    radosgw -n client.rgw.a
    wait_for 180 "radosgw answering on 127.0.0.1:$RGW_PORT" \
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$RGW_PORT/"

    ts "S3 user"
    radosgw-admin user create --uid=test --display-name=test \
        --access-key="$S3_ACCESS" --secret="$S3_SECRET" >"$DIR/user-test.json"
    ts "ready: http://127.0.0.1:$RGW_PORT"
}

# Stop the daemons by their pid files with SIGKILL: the data is thrown away, so a clean stop (up
# to minutes for a memstore OSD, which writes its memory out) buys nothing.
down() {
    local name pf pid cmd
    for name in client.rgw.a osd.0 mon.a; do
        pf=$DIR/run/$name.pid
        [ -f "$pf" ] || continue
        pid=$(cat "$pf")
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
        case "$cmd" in
        *ceph-mon*" -i a"* | *ceph-osd*" -i 0"* | *radosgw*" client.rgw.a"*)
            ts "stopping $name (pid $pid)"
            kill -KILL "$pid" 2>/dev/null
            ;;
        *) ts "$name: pid $pid is not that daemon any more (stale pid file)" ;;
        esac
    done
    return 0
}

(up) 3<&- >>"$DIR/setup.log" 2>&1
status=$?
[ "$status" = 0 ] || down >>"$DIR/setup.log" 2>&1
echo "$status" >"$DIR/up-status"
read -r _ <&3
down >>"$DIR/setup.log" 2>&1
rm -rf -- "$DIR"
