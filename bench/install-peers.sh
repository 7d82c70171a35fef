#!/usr/bin/env bash
# Installs the peer tools the benchmark compares against, from Debian's packages:
# pgloader (MySQL -> PostgreSQL), mydumper (ships myloader; MySQL -> MySQL) and sysbench
# (prepares the standard data set). Only the installed binaries are called; no peer code
# is part of this repository. Without root (or apt) the missing ones are skipped and the
# benchmark reports them as such.
set -u
missing=()
command -v pgloader >/dev/null 2>&1 || missing+=(pgloader)
{ command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1; } || missing+=(mydumper)
command -v sysbench >/dev/null 2>&1 || missing+=(sysbench)
if [ ${#missing[@]} -eq 0 ]; then
    echo "peers: pgloader, mydumper/myloader and sysbench are installed"
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "peers: not root (or no apt-get); skipping install of: ${missing[*]}"
    exit 0
fi
echo "peers: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}" >/tmp/bench-apt.log 2>&1; then
    apt-get update -q >>/tmp/bench-apt.log 2>&1 || true
    if ! apt-get install -y -q "${missing[@]}" >>/tmp/bench-apt.log 2>&1; then
        echo "peers: apt-get install failed (see /tmp/bench-apt.log); continuing with what is installed"
        tail -n 5 /tmp/bench-apt.log | sed 's/^/peers:   /'
    fi
fi
for t in pgloader mydumper myloader sysbench; do
    if command -v "$t" >/dev/null 2>&1; then echo "peers: $t -> $(command -v "$t")"; else echo "peers: $t is not available"; fi
done
exit 0
