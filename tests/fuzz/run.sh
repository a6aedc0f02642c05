#!/bin/sh
# Run libFuzzer targets for a bounded time each (`make fuzz`).
#
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# For each TARGET: the committed seeds (tests/fuzz/corpus/TARGET) and saved
# crash inputs (tests/fuzz/regress/TARGET) are copied into
# BUILD_DIR/corpus-run/TARGET, which libFuzzer grows with new inputs (and
# which later runs start from); BUILD_DIR/fuzz_TARGET then runs for SECONDS
# with a per-target -max_len and tests/fuzz/TARGET.dict. Its log is BUILD_DIR/fuzz_TARGET.log. One
# line per target reports the executions (libFuzzer's final
# stat::number_of_executed_units), the crashes and the coverage. A crash,
# leak, timeout or out-of-memory input libFuzzer saves is copied to
# tests/fuzz/regress/TARGET/ (replayed by `make fuzz-regress`) unless it is
# one already there (a saved crash not fixed yet fails again at once), and
# the script exits 1.
set -u

dir=$1 secs=$2
shift 2
fail=0
for t in "$@"; do
	bin=$dir/fuzz_$t
	run=$dir/corpus-run/$t
	art=$dir/artifacts/$t
	log=$dir/fuzz_$t.log
	case $t in
	request) maxlen=16384 ;; # a few pipelined requests with JSON bodies
	extract) maxlen=4096 ;;  # a memory or a query; regex time grows with length
	import) maxlen=65536 ;;  # a snapshot of a few dozen elements
	*) maxlen=8192 ;;
	esac
	rm -rf "$art"
	mkdir -p "$run" "$art" "tests/fuzz/regress/$t"
	for f in "tests/fuzz/corpus/$t"/* "tests/fuzz/regress/$t"/*; do
		[ -f "$f" ] && cp "$f" "$run/"
	done
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict "$run" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -n 1 |
		sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
	crashes=0
	for f in "$art"/*; do
		[ -f "$f" ] || continue
		crashes=$((crashes + 1))
		known=
		for g in "tests/fuzz/regress/$t"/*; do
			[ -f "$g" ] && cmp -s "$f" "$g" && known=$g
		done
		if [ -n "$known" ]; then
			echo "fuzz_$t: the crash is $known (not fixed yet)" >&2
		else
			cp "$f" "tests/fuzz/regress/$t/"
			echo "fuzz_$t: saved $(basename "$f") to tests/fuzz/regress/$t/" >&2
		fi
	done
	echo "fuzz_$t: executions ${execs:-unknown}, crashes $crashes${cov:+ ($cov)}"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || [ -z "$execs" ]; then
		fail=1
		echo "fuzz_$t: libFuzzer exited $rc; the end of $log:" >&2
		tail -n 40 "$log" >&2
	fi
done
exit $fail
