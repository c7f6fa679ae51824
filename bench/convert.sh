#!/usr/bin/env bash
# bench/convert.sh — `tfjs convert` of a big Keras .h5 against `cp` of the same file (issue 4:
# "within 2x of cp, peak RSS at most 1.3x the weight bytes").
#
# Makes (once, cached in the build folder; remade when bench/convert_make_h5.py changes) a
# Keras 2 layout .h5 of a Sequential MLP with 112 MiB of float32 weights
# (bench/convert_make_h5.py: /usr/bin/python3 + h5py), reads it once so that the page cache is
# warm, then alternates CONVERT_RUNS times
#     cp big.h5 copy.h5                                  (coreutils: copy_file_range on Linux)
#     tfjs convert big.h5 out/                           (4 MiB shards, renamed into place)
#     cp big.h5 copy.h5 && sync copy.h5                   (a durable copy)
#     tfjs convert --sync big.h5 out/                    (a durable convert: every file fsync'ed)
#     tfjs convert big.h5 out-u8/ --quantize_uint8       (informational)
# each under /usr/bin/time -f %M (peak RSS), timed as a whole command with bash's
# $EPOCHREALTIME (so both include starting a process). Outputs are deleted and `sync` run
# between runs, outside the timed region, so that no run pays for the previous one's writeback.
# Also times, for information, `cp` and `tfjs convert` writing to tmpfs
# (/dev/shm, when it is there: no disk, so fsync costs nothing and what is left is the copying),
# and the peak RSS of an idle `tfjs --version`. Checks that the float32 output holds exactly the .h5's weights, in order (h5py),
# then prints a table and writes the convert section of bench/RESULTS.md (between its
# <!-- convert:begin --> / <!-- convert:end --> markers; appended when they are absent; the rest
# of the file is kept). Takes about 30 s.
#
# Expects the build folder of scripts/build.sh (build/, or $BUILD_DIR; runs scripts/build.sh when
# there is none) and builds `tfjs` there. Environment: BUILD_DIR, CONVERT_DATA_DIR (default
# $BUILD_DIR/bench-convert: the .h5 and the outputs, on the build folder's file system),
# CONVERT_RUNS (7), RESULTS (default bench/RESULTS.md; "-" writes nothing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DATA_DIR=${CONVERT_DATA_DIR:-$BUILD_DIR/bench-convert}
RUNS=${CONVERT_RUNS:-7}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
PY=/usr/bin/python3

die() { echo "bench/convert.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "CONVERT_RUNS must be a positive number"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (Debian package 'time')"
[[ -x $PY ]] && $PY -c 'import h5py, numpy' 2>/dev/null ||
  die "$PY with h5py and numpy is needed (Debian package python3-h5py; scripts/setup.sh)"

# --- build --------------------------------------------------------------------------------------
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  say "no build in $BUILD_DIR: running scripts/build.sh"
  BUILD_DIR=$BUILD_DIR "$ROOT/scripts/build.sh"
fi
TFJS=$BUILD_DIR/tfjs
say "building tfjs in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target tfjs_cli >&2
[[ -x $TFJS ]] || die "no $TFJS after building"

# --- the model (made once) ----------------------------------------------------------------------
mkdir -p "$DATA_DIR"
H5=$DATA_DIR/big.h5
STAMP=$(sha256sum "$ROOT/bench/convert_make_h5.py" | cut -d' ' -f1)
if [[ ! -f $H5 || ! -f $DATA_DIR/stamp || $(cat "$DATA_DIR/stamp") != "$STAMP" ]]; then
  say "making $H5"
  rm -f "$H5" "$DATA_DIR/stamp"
  $PY "$ROOT/bench/convert_make_h5.py" "$H5.tmp"
  mv "$H5.tmp" "$H5"
  echo "$STAMP" >"$DATA_DIR/stamp"
else
  say "$H5 is up to date"
fi
H5_BYTES=$(stat -c %s "$H5")
WEIGHT_BYTES=$($PY - "$H5" <<'EOF'
import sys, h5py
sizes = []
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        sizes.append(obj.size * 4)  # float32 in the output
with h5py.File(sys.argv[1], "r") as f:
    f["model_weights"].visititems(visit)
print(sum(sizes))
EOF
)

WORK=$(mktemp -d "$DATA_DIR/run.XXXXXX")
SHM=""
if [[ -d /dev/shm && -w /dev/shm ]] &&
  (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 3 * H5_BYTES / 1024)); then
  SHM=$(mktemp -d /dev/shm/tfjs-bench-convert.XXXXXX)
fi
trap 'rm -rf "$WORK" ${SHM:+"$SHM"}' EXIT

# timed KEY CMD...: appends "seconds rss_kib" to KEY.tsv; fails the bench when CMD fails.
timed() {
  local key=$1
  shift
  local t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" ||
    die "$* failed: $(cat "$WORK/$key.err")"
  t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') $(tail -1 "$WORK/rss")" \
    >>"$WORK/$key.tsv"
}

clean() {
  rm -rf "$WORK/copy.h5" "$WORK/out" "$WORK/out-u8"
  [[ -z $SHM ]] || rm -rf "$SHM/copy.h5" "$SHM/out"
  sync
}

# --- measurements -------------------------------------------------------------------------------
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_START=$(uptime)
START=$SECONDS
say "warming the page cache"
cat "$H5" >/dev/null
clean
# One untimed round: page cache, binaries and libraries warm for every command.
cp "$H5" "$WORK/copy.h5"
"$TFJS" convert "$H5" "$WORK/out" >/dev/null
"$TFJS" convert "$H5" "$WORK/out-u8" --quantize_uint8 >/dev/null
say "checking the float32 output against the .h5 (h5py)"
$PY - "$H5" "$WORK/out" <<'EOF' || die "the converted weights differ from the .h5's"
import json, os, sys
import h5py, numpy as np
h5, out = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(out, "model.json")))["weightsManifest"]
got = b"".join(open(os.path.join(out, p), "rb").read() for g in manifest for p in g["paths"])
names = [w["name"] for g in manifest for w in g["weights"]]
want, expected = [], []
with h5py.File(h5, "r") as f:
    mw = f["model_weights"]
    for layer in sorted(mw.keys()):  # the converter's order: layer groups by name
        g = mw[layer]
        for wn in g.attrs["weight_names"]:
            wn = wn.decode()
            expected.append(wn[:-2] if wn.endswith(":0") else wn)
            want.append(np.asarray(g[wn], dtype="<f4").tobytes())
assert names == expected, (names, expected)
assert got == b"".join(want), "bytes differ"
print(f"ok: {len(names)} weights, {len(got)} bytes identical", file=sys.stderr)
EOF
clean
for ((i = 1; i <= RUNS; ++i)); do
  say "run $i/$RUNS"
  timed cp cp "$H5" "$WORK/copy.h5"
  clean
  timed convert "$TFJS" convert "$H5" "$WORK/out"
  clean
  timed cpsync sh -c 'cp "$1" "$2" && sync "$2"' sh "$H5" "$WORK/copy.h5"
  clean
  timed convsync "$TFJS" convert --sync "$H5" "$WORK/out"
  clean
  timed u8 "$TFJS" convert "$H5" "$WORK/out-u8" --quantize_uint8
  clean
  if [[ -n $SHM ]]; then
    timed shmcp cp "$H5" "$SHM/copy.h5"
    clean
    timed shmconvert "$TFJS" convert "$H5" "$SHM/out"
    clean
  fi
done
"$TFJS" convert "$H5" "$WORK/out" >/dev/null
OUT_BYTES=$(cat "$WORK"/out/*.bin | wc -c)
OUT_FILES=$(find "$WORK/out" -type f | wc -l)
"$TFJS" convert "$H5" "$WORK/out-u8" --quantize_uint8 >/dev/null
U8_BYTES=$(cat "$WORK"/out-u8/*.bin | wc -c)
clean
timed idle "$TFJS" --version
ELAPSED=$((SECONDS - START))
LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_END=$(uptime)

# --- report -------------------------------------------------------------------------------------
export BENCH_WORK=$WORK BENCH_RESULTS=$RESULTS BENCH_WEIGHT_BYTES=$WEIGHT_BYTES \
  BENCH_H5_BYTES=$H5_BYTES BENCH_OUT_BYTES=$OUT_BYTES BENCH_OUT_FILES=$OUT_FILES \
  BENCH_U8_BYTES=$U8_BYTES BENCH_ELAPSED=$ELAPSED BENCH_UPTIME_START=$UPTIME_START \
  BENCH_UPTIME_END=$UPTIME_END BENCH_NPROC=$(nproc) BENCH_KERNEL=$(uname -r) \
  BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC') BENCH_SHM=${SHM:+yes}
BENCH_CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
BENCH_VIRT=""
grep -qw hypervisor /proc/cpuinfo && BENCH_VIRT=" (virtual machine)"
BENCH_FS=$(df -PT "$DATA_DIR" | awk 'NR == 2 { print $2 }')
CXX=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
BENCH_COMPILER=$("${CXX:-c++}" --version 2>/dev/null | head -1 || echo unknown)
BENCH_BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
BENCH_VERSION=$("$TFJS" --version 2>/dev/null | head -1)
export BENCH_CPU BENCH_VIRT BENCH_FS BENCH_COMPILER BENCH_BUILD_TYPE BENCH_VERSION

$PY - <<'EOF'
import os, statistics, sys
E = os.environ
work, results = E["BENCH_WORK"], E["BENCH_RESULTS"]

def rows(key):
    out = []
    for line in open(os.path.join(work, key + ".tsv")):
        s, rss = line.split()
        out.append((float(s), int(rss)))
    return out

def stats(key):
    r = rows(key)
    t = [s for s, _ in r]
    return {"min": min(t), "median": statistics.median(t), "rss": max(k for _, k in r),
            "n": len(r)}

cp, conv, cpsync, convsync, u8, idle = (
    stats(k) for k in ("cp", "convert", "cpsync", "convsync", "u8", "idle"))
syncratio = convsync["median"] / cpsync["median"]
weights = int(E["BENCH_WEIGHT_BYTES"])
h5 = int(E["BENCH_H5_BYTES"])
mib = lambda b: b / 1048576
ratio = conv["median"] / cp["median"]
rss = conv["rss"] * 1024 / weights
u8ratio = u8["median"] / cp["median"]
u8rss = u8["rss"] * 1024 / weights
ok = lambda c: "**pass**" if c else "**FAIL**"
ms = lambda s: f"{s * 1000:.0f}"

md = []
md.append("<!-- convert:begin -->")
md.append("# Convert benchmark results")
md.append("")
md.append(f"Written by `bench/convert.sh` on {E['BENCH_DATE']} "
          f"({E['BENCH_ELAPSED']} s of measurements). Every figure below comes from that one run; rerun the script to "
          "refresh them (it rewrites this section only). Not part of CTest.")
md.append("")
md.append("## Setup")
md.append("")
md.append(f"- Machine: {E['BENCH_CPU'] or 'unknown'}, {E['BENCH_NPROC']} CPUs (nproc)"
          f"{E['BENCH_VIRT']}, Linux {E['BENCH_KERNEL']}; files on {E['BENCH_FS']}. Load "
          f"(uptime): `{E['BENCH_UPTIME_START'].strip()}` at the start, "
          f"`{E['BENCH_UPTIME_END'].strip()}` at the end.")
md.append(f"- tfjs-cpp `{E['BENCH_VERSION']}`, {E['BENCH_BUILD_TYPE'] or 'unknown'} build, "
          f"{E['BENCH_COMPILER']}.")
md.append(f"- Input (`bench/convert_make_h5.py`): a Keras 2 layout .h5 of a Sequential MLP "
          f"(InputLayer 2048, 7 x Dense(2048, relu), Dense(10, softmax)), {h5} bytes "
          f"({mib(h5):.1f} MiB), of which {weights} bytes ({mib(weights):.1f} MiB) of "
          "float32 weights in 16 contiguous datasets; in the page cache (read once first).")
md.append(f"- Output: {int(E['BENCH_OUT_FILES']) - 1} shards of at most 4 MiB + model.json, "
          f"{E['BENCH_OUT_BYTES']} weight bytes; --quantize_uint8: {E['BENCH_U8_BYTES']} bytes. "
          "The float32 output was checked byte for byte against the .h5's datasets (h5py) in "
          "this run.")
md.append(f"- Runs: {conv['n']} of each command, alternated, after one untimed round; outputs "
          "deleted and `sync` run between runs (outside the timing).")
md.append("")
md.append("## Goals")
md.append("")
md.append("| Goal | Measured | Target | Result |")
md.append("|---|---|---|---|")
md.append(f"| Convert time / `cp` time (medians) | {ms(conv['median'])} ms / "
          f"{ms(cp['median'])} ms = {ratio:.2f}x | <= 2x | {ok(ratio <= 2)} |")
md.append(f"| Durable: `convert --sync` time / `cp && sync` time (medians) | "
          f"{ms(convsync['median'])} ms / {ms(cpsync['median'])} ms = {syncratio:.2f}x | <= 2x | "
          f"{ok(syncratio <= 2)} |")
md.append(f"| Peak RSS of the convert / weight bytes | {mib(conv['rss'] * 1024):.1f} MiB / "
          f"{mib(weights):.1f} MiB = {rss:.2f}x | <= 1.3x | {ok(rss <= 1.3)} |")
md.append("")
md.append("## All figures")
md.append("")
md.append("| Command | min ms | median ms | median / `cp` median | peak RSS | "
          "peak RSS / weight bytes |")
md.append("|---|---:|---:|---:|---:|---:|")
def row(name, s):
    md.append(f"| {name} | {ms(s['min'])} | {ms(s['median'])} | "
              f"{s['median'] / cp['median']:.2f}x | {mib(s['rss'] * 1024):.1f} MiB | "
              f"{s['rss'] * 1024 / weights:.2f}x |")
row("`cp big.h5 copy.h5`", cp)
row("`tfjs convert big.h5 out/`", conv)
row("`tfjs convert big.h5 out/ --quantize_uint8` (informational)", u8)
row("`cp big.h5 copy.h5 && sync copy.h5`", cpsync)
row("`tfjs convert --sync big.h5 out/`", convsync)
if E.get("BENCH_SHM"):
    shmcp, shmconv = stats("shmcp"), stats("shmconvert")
    row("`cp big.h5 /dev/shm/copy.h5` (informational: tmpfs)", shmcp)
    row("`tfjs convert big.h5 /dev/shm/out/` (informational: tmpfs)", shmconv)
row("`tfjs --version` (an idle process)", idle)
md.append("")
md.append("## Method and notes")
md.append("")
md.append("- Times are wall-clock for the whole command (process start included), taken with "
          "bash's $EPOCHREALTIME around `/usr/bin/time -f %M`, which gives the peak RSS "
          "(the highest of the runs is shown).")
md.append("- GNU `cp` copies with copy_file_range(2): the kernel copies page-cache pages and "
          "the bytes never enter cp's memory (its RSS is ~2 MiB). `tfjs convert` reads the "
          "HDF5 structure first (names, shapes, dtypes: no data), lays out the manifest and "
          "allocates the weight buffer once (2 MiB pages), has HDF5 read every float32 "
          "dataset straight into its place in that buffer, then writes the shards from it "
          "(no copy) into a temporary folder and renames the folder into place, so a failed "
          "or interrupted convert leaves nothing behind. Like cp (and tensorflowjs_converter) "
          "it does not wait for the disk; with `--sync` it starts each file's writeback as it "
          "goes (sync_file_range), fsyncs every file and both folders, and is then compared "
          "with `cp && sync`, the durable copy. "
          "`--quantize_uint8` reads each weight into a float32 temporary of that one weight "
          "and writes 1 byte per value.")
if E.get("BENCH_SHM"):
    md.append(f"- On tmpfs (no disk: fsync returns at once) convert takes "
              f"{shmconv['median'] / shmcp['median']:.2f}x the time of cp to the same place "
              "(cp cannot use copy_file_range across file systems there). The difference "
              "between convert on disk and on tmpfs "
              f"is {ms(conv['median'] - shmconv['median'])} ms of medians; waiting for the disk "
              f"costs convert {ms(convsync['median'] - conv['median'])} ms and cp "
              f"{ms(cpsync['median'] - cp['median'])} ms.")
md.append("- A run on a busy machine inflates both columns; the ratio of the medians taken "
          "in the same alternating loop is the usable figure.")
md.append("<!-- convert:end -->")
text = "\n".join(md) + "\n"

print()
print(f"cp           median {ms(cp['median'])} ms (min {ms(cp['min'])})")
print(f"convert      median {ms(conv['median'])} ms (min {ms(conv['min'])})  "
      f"ratio {ratio:.2f}x (goal <= 2x)")
print(f"             peak RSS {mib(conv['rss'] * 1024):.1f} MiB = {rss:.2f}x the "
      f"{mib(weights):.1f} MiB of weights (goal <= 1.3x)")
print(f"convert u8   median {ms(u8['median'])} ms  ratio {u8ratio:.2f}x  "
      f"peak RSS {mib(u8['rss'] * 1024):.1f} MiB = {u8rss:.2f}x")
print(f"cp && sync   median {ms(cpsync['median'])} ms; convert --sync median "
      f"{ms(convsync['median'])} ms = {syncratio:.2f}x (goal <= 2x)")
if E.get("BENCH_SHM"):
    print(f"on tmpfs     cp {ms(shmcp['median'])} ms, convert {ms(shmconv['median'])} ms = "
          f"{shmconv['median'] / shmcp['median']:.2f}x")
print(f"idle tfjs    peak RSS {mib(idle['rss'] * 1024):.1f} MiB")
if results == "-":
    sys.exit(0)
old = open(results).read() if os.path.exists(results) else ""
b, e = old.find("<!-- convert:begin -->"), old.find("<!-- convert:end -->")
if b >= 0 and e > b:
    end = e + len("<!-- convert:end -->")
    if old[end:end + 1] == "\n":
        end += 1
    new = old[:b] + text + old[end:]
else:
    new = old + ("" if old.endswith("\n") or not old else "\n") + "\n" + text
open(results, "w").write(new)
print(f"wrote the convert section of {results}")
EOF
