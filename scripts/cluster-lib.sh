# cluster-lib.sh — shell functions shared by scripts/cluster-up,
# scripts/cluster-down and scripts/cluster-node (sourced, not run).
#
# The cluster directory (CLUSTER_DIR, default ${TMPDIR:-/tmp}/nmemd-cluster)
# holds everything a local cluster is: PostgreSQL's primary and replica data
# directories, each node's data directory, pid file, log and start script,
# nginx's configuration, pid file, logs and temporary files, and cluster.env.
# A file named .nmemd-cluster marks it, and these scripts refuse to stop
# processes in, or remove, a directory without that mark.
#
# Processes are only ever stopped by the pid recorded in the cluster
# directory, and only when that process's command line names the cluster
# directory (a recycled pid belongs to something else and is left alone).
# Nothing here kills by process name.

CL_MARK=.nmemd-cluster

cl_log() { printf '%s\n' "$*" >&2; }
cl_die() { printf '%s: error: %s\n' "${CL_PROG:-cluster}" "$*" >&2; exit 1; }

# cl_cluster_dir: the absolute cluster directory (it need not exist yet).
cl_cluster_dir() {
	local d=${CLUSTER_DIR:-${TMPDIR:-/tmp}/nmemd-cluster}
	case $d in
	/*) ;;
	*) d=$PWD/$d ;;
	esac
	printf '%s\n' "${d%/}"
}

# cl_pid_alive PID: the process exists and is not a zombie.
cl_pid_alive() {
	local pid=$1 state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# cl_pid_is PID TEXT: PID is alive and its command line contains TEXT.
cl_pid_is() {
	local pid=$1 text=$2
	cl_pid_alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$text"
}

# cl_read_pid FILE: the first line of a pid file, or nothing.
cl_read_pid() {
	[ -r "$1" ] && head -n1 "$1" 2>/dev/null | tr -dc '0-9' || true
}

# cl_wait_gone PID SECONDS: wait for PID to exit; 0 when it did.
cl_wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while cl_pid_alive "$pid"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# cl_stop_pid NAME PID TEXT SIGNAL SECONDS: send SIGNAL to PID (if its
# command line contains TEXT), wait up to SECONDS, then SIGKILL it and its
# direct children.
cl_stop_pid() {
	local name=$1 pid=$2 text=$3 sig=$4 secs=$5 kids
	if [ -z "$pid" ] || ! cl_pid_alive "$pid"; then
		return 0
	fi
	if ! cl_pid_is "$pid" "$text"; then
		cl_log "  $name: pid $pid does not belong to this cluster (command line lacks $text); left alone"
		return 0
	fi
	kill "-$sig" "$pid" 2>/dev/null || true
	if cl_wait_gone "$pid" "$secs"; then
		cl_log "  $name stopped (pid $pid, SIG$sig)"
		return 0
	fi
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	cl_log "  $name did not stop within ${secs}s after SIG$sig: SIGKILL to $pid${kids:+ and its children $kids}"
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids 2>/dev/null || true
	cl_wait_gone "$pid" 5 || cl_log "  $name: pid $pid still alive after SIGKILL"
}

# cl_port_free PORT: nothing listens on 127.0.0.1:PORT (or on every address).
cl_port_free() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# cl_free_port: a port nothing listens on now.
cl_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# cl_pick_port NAME VAR DEFAULT: the port for one component. When the
# environment variable VAR is set, that port must be free; otherwise DEFAULT
# is used when free, else any free port.
cl_pick_port() {
	local name=$1 var=$2 def=$3 val=${!2:-}
	if [ -n "$val" ]; then
		cl_port_free "$val" || cl_die "$name: port $val ($var) is in use"
		printf '%s\n' "$val"
	elif cl_port_free "$def"; then
		printf '%s\n' "$def"
	else
		val=$(cl_free_port)
		cl_log "  $name: default port $def is in use; using $val (set $var to choose)"
		printf '%s\n' "$val"
	fi
}

# cl_http_ok URL: GET URL answers 2xx within 2 s.
cl_http_ok() {
	curl -fsS -o /dev/null -m 2 "$1" 2>/dev/null
}

# cl_tail FILE: the end of a log, indented, for error messages.
cl_tail() {
	[ -r "$1" ] && tail -n 15 "$1" | sed 's/^/    | /' >&2 || true
}

# cl_wait_http NAME URL PIDFILE LOG SECONDS: poll URL until it answers 2xx;
# fail early, with the log's end, when the process in PIDFILE has exited.
cl_wait_http() {
	local name=$1 url=$2 pidfile=$3 logf=$4 deadline=$((SECONDS + $5)) pid
	while ! cl_http_ok "$url"; do
		pid=$(cl_read_pid "$pidfile")
		if [ -n "$pid" ] && ! cl_pid_alive "$pid"; then
			cl_log "$name exited during start-up; end of $logf:"
			cl_tail "$logf"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			cl_log "$name did not answer $url within $5 s; end of $logf:"
			cl_tail "$logf"
			return 1
		fi
		sleep 0.2
	done
}

# cl_env_set FILE KEY VALUE: replace (or add) KEY='VALUE' in an env file.
cl_env_set() {
	local f=$1 k=$2 v=$3 tmp
	tmp=$(mktemp "$f.XXXXXX")
	grep -v "^$k=" "$f" >"$tmp" || true
	printf "%s='%s'\n" "$k" "$v" >>"$tmp"
	cat "$tmp" >"$f"
	rm -f "$tmp"
}
