#!/usr/bin/env bash
# The nightly pipeline (DESIGN section 8): a chaos matrix of workloads x protocols x nemeses x seeds against the
# correct system, the efficacy matrix (every planted bug caught, the correct system never accused), the benchmark,
# then the index report over everything in the store. It keeps going after a failure and reports every failure at
# the end. Exit 1 when any run of the correct system was invalid (rig run exit 1, or a correct-system run of rig
# efficacy); else 2 when a step could not run or ended unknown, a planted bug went undetected, or a recovery path
# was taken by no exposure run; else 0. See ci/README.md.
#
# Sized for about an hour on a 2-core machine: 6 workloads x 3 protocols x 4 nemesis groups x 1 seed = 72 runs of
# ~38 s each (30 s of workload and faults, then heal, quiet, collect and check) = ~46 min; 3 exposure runs, ~2 min;
# rig efficacy ~5 min; rig bench ~4 min; the index, seconds: ~57 min (the 48-run matrix measured ~38 min on
# 2026-11-29; the priority and lifecycle workloads' 24 runs estimated at the same ~38 s each). The simulation sweep
# adds ~19 min (1,000 seeds at ~54 a minute with 2 workers) and rig efficacy --sim ~20 s.
# The mutation step (StrykerJS over checkers/: 3,781 mutants in 28 min on this idle machine, 2026-12-08; docs/mutation.md)
# takes the night past the hour.
# Every knob is a variable:
#   NIGHTLY_WORKLOADS      space list            [sessions lifecycle contention conservation leader-churn priority]
#   NIGHTLY_PROTOCOLS      space list            [2pc 3pc mixed]
#   NIGHTLY_NEMESES        space list of groups  [partition,kill,pause latency,reset,clock-skew redis-restart,partition all]
#   NIGHTLY_SEEDS          seeds per combination [1]
#   NIGHTLY_SEED_BASE      first seed; a new one each night so the matrix explores [UTC date, YYYYMMDD x 1000]
#   NIGHTLY_TIME_LIMIT     seconds per run       [30]
#   NIGHTLY_BENCH_DURATION seconds per bench level [10]; 0 skips the benchmark
#   NIGHTLY_EFFICACY       1 runs rig efficacy, 0 skips it [1]
#   NIGHTLY_EXPOSURE       1 runs the exposure runs (below), 0 skips them [1]
#   NIGHTLY_MUTATION       1 runs the mutation tests of checkers/ (npm run mutation), 0 skips them [1]
#   NIGHTLY_MUTATION_BREAK mutation score (%) below which the step fails [96]
#   NIGHTLY_MUTATION_FILES comma list of checker files to mutate (Stryker's --mutate) [every file of checkers/]; the
#                          break then applies to their score alone
#   NIGHTLY_SIM_SEEDS      seeds of the simulation sweep (rig sim --seeds), spread over the workloads, every nemesis,
#                          mixed protocols; 0 skips it [1000: ~19 min at ~54 seeds/min with 2 workers, 2026-12-07]
#   NIGHTLY_SIM_WORKERS    worker threads of the sweep [2]
#   NIGHTLY_SIM_EFFICACY   1 runs rig efficacy --sim (every planted bug in simulation, ~20 s), 0 skips it [1]
#   NIGHTLY_STORE          where everything goes [store]
#   NIGHTLY_KEEP_DATA      1 keeps the Redis/Postgres data of valid runs (~80 MB each) [0: only invalid runs keep it]
#   NIGHTLY_SHARD          i/n: run only shard i of n (also --shard i/n) [1/1: the whole night]; see "Shards" below
#   NIGHTLY_DRY_RUN        1 prints the units this shard would run, one a line, and exits (also --list) [0]
#
# Shards (issue 26): n machines (a CI job matrix) each run `NIGHTLY_SHARD=i/n ci/nightly.sh` with the same
# NIGHTLY_SEED_BASE and the same knobs, and `rig report --index --night --store <each shard's store> --out DIR` merges
# their stores into one index, one summary and the night's exit code (ci/README.md). Every unit has one owner shard,
# chosen from the unit alone, so n shards together run exactly the unsharded night, nothing twice:
# - matrix runs round-robin in the order the unsharded night enumerates them (run k on shard (k-1) mod n + 1): balanced
#   counts, and each shard gets a mix of workloads, protocols and nemeses rather than one slow corner of the matrix;
# - each workload's simulation seed range is cut into n contiguous ranges, shard i taking the i-th: workloads differ in
#   cost per seed, so every shard takes an equal share of each (a range smaller than n leaves some shards none);
# - the fixed steps each go to one shard, in this order taken mod n: bench 1, efficacy 2, exposure 3, mutation 4,
#   sim exposure 5, sim efficacy 6. The bench is always shard 1's, so that is the shard to keep on a quiet machine; the
#   others are spread so the longest (efficacy ~4 min, exposure ~2 min, mutation ~28 min) land on different shards.
#   The exposure runs stay together: the night fails when no exposure run took a recovery path, a total over all four;
# - seeds are numbered across the whole night (seed base + unit number) whichever shard runs a unit, so every run has
#   the seed the unsharded night gives it, and a shard's run replays on its own.
# Every shard writes its own summary and index, and outcome.json beside the summary: its exit code, its matrix rows and
# the failures it collected, which the merge reads.
set -euo pipefail

cd "$(dirname "$0")/.."
rig=(node bin/rig.js)
usage='usage: ci/nightly.sh [--shard i/n] [--list]   (every other knob is a NIGHTLY_* variable: see the top of ci/nightly.sh)'

# The arguments and the knobs the script computes with are checked before anything is written or started: a bad one
# exits 2 naming it.
fail_usage() {
  echo "ci/nightly.sh: $*" >&2
  echo "$usage" >&2
  exit 2
}
shard_spec=${NIGHTLY_SHARD:-1/1}
dry_run=${NIGHTLY_DRY_RUN:-0}
while (($# > 0)); do
  case $1 in
    --shard)
      (($# >= 2)) || fail_usage "--shard needs a value i/n, e.g. --shard 2/4"
      shard_spec=$2
      shift 2
      ;;
    --shard=*) shard_spec=${1#--shard=} && shift ;;
    --list) dry_run=1 && shift ;;
    -h | --help) echo "$usage" && exit 0 ;;
    *) fail_usage "unknown argument \"$1\"" ;;
  esac
done
if [[ ! $shard_spec =~ ^([1-9][0-9]{0,3})/([1-9][0-9]{0,3})$ ]]; then
  fail_usage "bad shard \"$shard_spec\" (NIGHTLY_SHARD or --shard): expected i/n, two whole numbers from 1 to 9999, e.g. 2/4; unset means 1/1, the whole night"
fi
shard_index=${BASH_REMATCH[1]}
shard_count=${BASH_REMATCH[2]}
if ((shard_index > shard_count)); then
  fail_usage "bad shard \"$shard_spec\" (NIGHTLY_SHARD or --shard): shard $shard_index of $shard_count does not exist; i goes from 1 to n"
fi
[[ $dry_run == 0 || $dry_run == 1 ]] || fail_usage "NIGHTLY_DRY_RUN=$dry_run: expected 0 or 1"

read -r -a workloads <<<"${NIGHTLY_WORKLOADS:-sessions lifecycle contention conservation leader-churn priority}"
read -r -a protocols <<<"${NIGHTLY_PROTOCOLS:-2pc 3pc mixed}"
read -r -a nemeses <<<"${NIGHTLY_NEMESES:-partition,kill,pause latency,reset,clock-skew redis-restart,partition all}"
seeds=${NIGHTLY_SEEDS:-1}
seed_base=${NIGHTLY_SEED_BASE:-$(($(date -u +%Y%m%d) * 1000))}
time_limit=${NIGHTLY_TIME_LIMIT:-30}
bench_duration=${NIGHTLY_BENCH_DURATION:-10}
efficacy=${NIGHTLY_EFFICACY:-1}
exposure=${NIGHTLY_EXPOSURE:-1}
mutation=${NIGHTLY_MUTATION:-1}
# Measured 97.20% on 2026-12-08 (3,781 mutants, a clean clone). The break sits 1.2 points (~45 mutants) below, for the
# run-to-run flips of per-test coverage and the timeouts that load turns into kills; raise it as the score rises.
mutation_break=${NIGHTLY_MUTATION_BREAK:-96}
mutation_files=${NIGHTLY_MUTATION_FILES:-}
sim_seeds=${NIGHTLY_SIM_SEEDS:-1000}
sim_workers=${NIGHTLY_SIM_WORKERS:-2}
sim_efficacy=${NIGHTLY_SIM_EFFICACY:-1}
store=${NIGHTLY_STORE:-store}
keep_data=${NIGHTLY_KEEP_DATA:-0}
for knob in NIGHTLY_SEEDS=$seeds NIGHTLY_SEED_BASE=$seed_base NIGHTLY_TIME_LIMIT=$time_limit NIGHTLY_SIM_SEEDS=$sim_seeds \
  NIGHTLY_BENCH_DURATION=$bench_duration; do
  [[ ${knob#*=} =~ ^(0|[1-9][0-9]{0,17})$ ]] || fail_usage "$knob: expected a whole number"
done
((${#workloads[@]} > 0 && ${#protocols[@]} > 0 && ${#nemeses[@]} > 0)) ||
  fail_usage "NIGHTLY_WORKLOADS, NIGHTLY_PROTOCOLS and NIGHTLY_NEMESES each need at least one value"

# The exposure runs (issue 21 item 4): transactions held in doubt past the participants' decision-query delay and 3PC
# pre-commit timeout (shortened to 1 s), the leader crashed between the relay's append and mark-sent, and after its
# decisions; sessions changed and released meanwhile (lifecycle). Their liveness and stream-ordering verdict lines
# carry the counts of the recovery paths taken, and a path that no exposure run took fails the night (exit 2): a
# recovery path no nemesis drives is a gap of the rig, not a quiet night.
exposure_delays=RIG_DECISION_QUERY_AFTER_MS=1000,RIG_PRECOMMIT_TIMEOUT_MS=1000
exposure_runs=(
  "sessions 3pc crash,partition:leader-from-participant,pause"
  "sessions 2pc crash,partition:leader-from-participant,pause"
  "leader-churn mixed crash,partition:isolate-leader"
  "lifecycle 3pc crash,partition:leader-from-participant,pause"
)
total=$((${#workloads[@]} * ${#protocols[@]} * ${#nemeses[@]} * seeds))

# Whether this shard owns the unit in slot k (1-based) of a round-robin over the shards.
mine() { (((($1 - 1) % shard_count) + 1 == shard_index)); }
# The slot of each fixed step: why this order, in "Shards" at the top.
declare -A step_slot=([bench]=1 [efficacy]=2 [exposure]=3 [mutation]=4 [sim-exposure]=5 [efficacy-sim]=6)

# This shard's units, in the order the unsharded night runs them, one a line: "run n workload protocol nemesis seed",
# "exposure n workload protocol nemesis seed", "sim workload first last", "sim-exposure n workload protocol nemesis
# seed", "efficacy-sim", "efficacy", "bench", "mutation". n counts the units of the whole night, so seed base + n is
# the seed whichever shard runs it. Both the run below and --list read this, so the list is what runs.
plan() {
  local n=0 workload protocol nemesis s spec first last size
  for workload in "${workloads[@]}"; do
    for protocol in "${protocols[@]}"; do
      for nemesis in "${nemeses[@]}"; do
        for ((s = 0; s < seeds; s++)); do
          n=$((n + 1))
          if mine "$n"; then echo "run $n $workload $protocol $nemesis $((seed_base + n))"; fi
        done
      done
    done
  done
  if [[ $exposure == 1 ]]; then
    for spec in "${exposure_runs[@]}"; do
      n=$((n + 1))
      if mine "${step_slot[exposure]}"; then echo "exposure $n $spec $((seed_base + n))"; fi
    done
  fi
  if [[ $sim_seeds != 0 ]]; then
    size=$(((sim_seeds + ${#workloads[@]} - 1) / ${#workloads[@]}))
    first=$seed_base
    for workload in "${workloads[@]}"; do
      last=$((first + size - 1))
      # The i-th of n contiguous pieces of first..last; empty when the range has fewer seeds than there are shards.
      local lo=$((first + (shard_index - 1) * size / shard_count)) hi=$((first + shard_index * size / shard_count - 1))
      if ((lo <= hi)); then echo "sim $workload $lo $hi"; fi
      first=$((last + 1))
    done
    for spec in "${exposure_runs[@]}"; do
      n=$((n + 1))
      if mine "${step_slot[sim-exposure]}"; then echo "sim-exposure $n $spec $((seed_base + n))"; fi
    done
  fi
  if [[ $sim_efficacy == 1 ]] && mine "${step_slot[efficacy-sim]}"; then echo efficacy-sim; fi
  if [[ $efficacy == 1 ]] && mine "${step_slot[efficacy]}"; then echo efficacy; fi
  if [[ $bench_duration != 0 ]] && mine "${step_slot[bench]}"; then echo bench; fi
  if [[ $mutation == 1 ]] && mine "${step_slot[mutation]}"; then echo mutation; fi
  return 0
}
mapfile -t units < <(plan)

# --list: one line per unit, a simulation seed per line, so that the lists of n shards can be compared with the
# unsharded one line for line (sort | uniq -d finds a unit run twice, comm one missed). Starts and writes nothing.
if [[ $dry_run == 1 ]]; then
  for unit in "${units[@]}"; do
    read -r kind a b c <<<"$unit"
    if [[ $kind == sim ]]; then
      for ((s = b; s <= c; s++)); do echo "sim $a seed $s"; done
    else
      echo "$unit"
    fi
  done
  exit 0
fi
# The units of one kind, whole lines.
units_of() {
  local unit
  for unit in "${units[@]}"; do if [[ ${unit%% *} == "$1" ]]; then echo "$unit"; fi; done
  return 0
}

started=$(date -u +%Y-%m-%dT%H-%M-%SZ)
out="$store/nightly/$started"
mkdir -p "$out"
summary="$out/summary.md"
invalid=()
broken=()
# Besides their lines in invalid and broken: the correct-system runs efficacy accused, and the bugs it missed.
accused=()
missed=()
# The matrix runs' rows, tab-separated: n, workload, protocol, nemesis, seed, exit, run directory.
rows=()

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$out/nightly.log"; }

# outcome.json beside the summary: what `rig report --index --night` merges (reports/night.ts reads it; ci/README.md
# describes it). Its exit code, the matrix rows (run directories relative to the store, so the merge finds them wherever
# the store was downloaded to), the failures, and the summary's other sections as they are.
write_outcome() {
  node -e '
    const fs = require("fs");
    const path = require("path");
    const [out, store, index, count, seedBase, started, exit, total, rows, ...lists] = process.argv.slice(1);
    const lines = (text) => text.split("\n").filter((l) => l !== "");
    const [invalid, broken, accused, missed] = lists.map(lines);
    const summaryPath = path.join(out, "summary.md");
    const summary = fs.existsSync(summaryPath) ? fs.readFileSync(summaryPath, "utf8").split("\n") : [];
    const from = summary.findIndex((l) => l.startsWith("## "));
    const to = summary.lastIndexOf("## Failures");
    const details = from < 0 ? "" : summary.slice(from, to > from ? to : undefined).join("\n").trim();
    const runs = lines(rows).map((row) => {
      const [n, workload, protocol, nemesis, seed, exit, dir] = row.split("\t");
      return { n: +n, workload, protocol, nemesis, seed: +seed, exit: +exit, dir: dir ? path.relative(store, dir) : "" };
    });
    const outcome = { format: 1, shard: { index: +index, count: +count }, seedBase: +seedBase, started, exit: +exit,
      total: +total, runs, invalid, broken, accused, missed, details };
    fs.writeFileSync(path.join(out, "outcome.json"), JSON.stringify(outcome, null, 2) + "\n");' \
    "$out" "$store" "$shard_index" "$shard_count" "$seed_base" "$started" "$1" "$total" "$(printf '%s\n' "${rows[@]}")" \
    "$(printf '%s\n' "${invalid[@]}")" "$(printf '%s\n' "${broken[@]}")" "$(printf '%s\n' "${accused[@]}")" \
    "$(printf '%s\n' "${missed[@]}")"
}

# rig exits 130 after a Ctrl-C rather than dying of it, so the shell would go on to the next step: stop here. The
# outcome says so (the merge counts an interrupted shard as one that could not run).
trap 'log "interrupted"; write_outcome 130 || true; exit 130' INT TERM

# Runs one step with a deadline, its output in $out/<name>.log; prints its exit code (124: deadline passed).
step() {
  local name=$1 deadline=$2
  shift 2
  local code=0
  # --foreground: Ctrl-C reaches rig, which tears down what it started; at the deadline rig gets SIGINT too.
  timeout --foreground --signal=INT --kill-after=60 "$deadline" "$@" >"$out/$name.log" 2>&1 || code=$?
  echo "$code"
}

# The recovery-path counts of a run directory's results (liveness and stream-ordering coverage), one "name count"
# per line; nothing when the run wrote no results.
path_counts() {
  [[ -n $1 && -f $1/results.json ]] || return 0
  node -e '
    const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const paths = ["decisionQueries", "precommitTimeouts", "recoveries", "relayResends"];
    const list = Array.isArray(results) ? results : Object.values(results);
    for (const r of list) for (const p of paths) if (r.coverage && p in r.coverage) console.log(p, r.coverage[p]);' \
    "$1/results.json"
}

# One line per correct run accused ("accused: <bug> <run dirs>") and per bug missed ("missed: <bug>").
# shellcheck disable=SC2016 # the ${...} are JavaScript's template literals, not the shell's
efficacy_verdicts() {
  [[ -n $1 && -f $1/efficacy.json ]] || return 0
  node -e '
    for (const row of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) {
      if (!row.correct.allValid) console.log(`accused: ${row.bug} ${row.correct.invalidRuns.join(" ")}`);
      if (!row.detected) console.log(`missed: ${row.bug}`);
    }' "$1/efficacy.json"
}

# One real run (a matrix or an exposure run): its exit code, its run directory in $dir; a valid run's server data is
# deleted, an invalid or unknown one is listed.
real_run() {
  local name=$1 workload=$2 protocol=$3 nemesis=$4 seed=$5
  shift 5
  # A run that hangs must not eat the night: ten times its length, plus start-up, quiet and check.
  code=$(step "$name" $((time_limit * 10 + 300)) "${rig[@]}" run --workload "$workload" --protocol "$protocol" \
    --nemesis "$nemesis" --time-limit "$time_limit" --seed "$seed" --store "$store" "$@")
  dir=$(sed -n 's/^run directory: //p' "$out/$name.log" | tail -1)
  case $code in
    0) if [[ $keep_data != 1 && -n $dir ]]; then rm -rf "$dir/servers/postgres" "$dir/servers/redis"; fi ;;
    1) invalid+=("$name: $workload $protocol $nemesis seed $seed is INVALID: $dir (log $out/$name.log)") ;;
    *) broken+=("$name: $workload $protocol $nemesis seed $seed ended with exit $code (log $out/$name.log)") ;;
  esac
}

mapfile -t runs < <(units_of run)
if ((shard_count == 1)); then
  log "nightly $started: $total runs of ${time_limit}s, seeds from $seed_base; output in $out"
  echo "# Nightly $started" >"$summary"
else
  log "nightly $started, shard $shard_index/$shard_count: ${#runs[@]} of $total runs of ${time_limit}s, seeds from $seed_base; output in $out"
  echo "# Nightly $started, shard $shard_index/$shard_count (seeds from $seed_base)" >"$summary"
fi
{
  echo
  echo "| run | workload | protocol | nemesis | seed | exit | run directory |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} >>"$summary"

for unit in "${runs[@]}"; do
  read -r _ n workload protocol nemesis seed <<<"$unit"
  real_run "run-$n" "$workload" "$protocol" "$nemesis" "$seed"
  log "run-$n/$total $workload $protocol $nemesis seed $seed: exit $code ${dir:-(no run directory)}"
  echo "| $n | $workload | $protocol | $nemesis | $seed | $code | ${dir:--} |" >>"$summary"
  rows+=("$n"$'\t'"$workload"$'\t'"$protocol"$'\t'"$nemesis"$'\t'"$seed"$'\t'"$code"$'\t'"$dir")
done

# The exposure runs (defined above), on one shard: the path totals are over all four.
mapfile -t exposures < <(units_of exposure)
if ((${#exposures[@]} > 0)); then
  declare -A path_taken=([decisionQueries]=0 [precommitTimeouts]=0 [recoveries]=0 [relayResends]=0)
  { echo; echo "## Exposure (recovery paths taken)"; echo; } >>"$summary"
  for unit in "${exposures[@]}"; do
    read -r _ n workload protocol nemesis seed <<<"$unit"
    real_run "exposure-$n" "$workload" "$protocol" "$nemesis" "$seed" --system-env "$exposure_delays"
    log "exposure-$n $workload $protocol $nemesis seed $seed: exit $code ${dir:-(no run directory)}"
    { echo "- $workload $protocol $nemesis seed $seed: exit $code"; grep -E '^(liveness|stream-ordering) ' "$out/exposure-$n.log" | sed 's/^/  - /'; } >>"$summary"
    while read -r path count; do
      path_taken[$path]=$((${path_taken[$path]} + count))
    done < <(path_counts "$dir")
  done
  for path in decisionQueries precommitTimeouts recoveries relayResends; do
    echo "- $path taken ${path_taken[$path]} times in all" >>"$summary"
    if [[ ${path_taken[$path]} == 0 ]]; then broken+=("exposure: no exposure run took the recovery path $path"); fi
  done
fi

# The simulation sweep (docs/sim.md): the correct system on many seeds of every workload, all nemeses, in virtual time.
# Seeds follow the night's seed base, so each night explores new ones; a seed not valid keeps its run directory.
mapfile -t sims < <(units_of sim)
if ((${#sims[@]} > 0)); then
  share=""
  if ((shard_count > 1)); then share=", shard $shard_index/$shard_count's share"; fi
  { echo; echo "## Simulation sweep ($sim_seeds seeds, $sim_workers workers$share)"; echo; } >>"$summary"
  for unit in "${sims[@]}"; do
    read -r _ workload first last <<<"$unit"
    name="sim-$workload"
    log "rig sim --seeds $first..$last --workload $workload"
    code=$(step "$name" 7200 "${rig[@]}" sim --seeds "$first..$last" --workers "$sim_workers" --keep-going \
      --workload "$workload" --protocol mixed --nemesis all --store "$store")
    line=$(grep -E ' seeds in ' "$out/$name.log" | tail -1 || true)
    log "rig sim $workload: exit $code: $line"
    echo "- $workload, seeds $first..$last: exit $code: ${line:-no summary}" >>"$summary"
    case $code in
      0) ;;
      1) invalid+=("sim sweep $workload: a seed was invalid (log $out/$name.log)") ;;
      *) broken+=("sim sweep $workload ended with exit $code (log $out/$name.log)") ;;
    esac
  done
fi

# The exposure runs again in simulation, each 120 virtual seconds (about 5 s of wall time): fault windows longer and
# denser than a real run affords, so every recovery path must be taken here too; a path none takes fails the night.
mapfile -t sim_exposures < <(units_of sim-exposure)
if ((${#sim_exposures[@]} > 0)); then
  declare -A sim_path_taken=([decisionQueries]=0 [precommitTimeouts]=0 [recoveries]=0 [relayResends]=0)
  { echo; echo "## Exposure in simulation (recovery paths taken, 120 virtual s each)"; echo; } >>"$summary"
  for unit in "${sim_exposures[@]}"; do
    read -r _ n workload protocol nemesis seed <<<"$unit"
    name="sim-exposure-$n"
    code=$(step "$name" 1800 "${rig[@]}" sim --workload "$workload" --protocol "$protocol" --nemesis "$nemesis" \
      --time-limit 120 --seed "$seed" --store "$store" --system-env "$exposure_delays")
    dir=$(sed -n 's/^run directory: //p' "$out/$name.log" | tail -1)
    log "$name $workload $protocol $nemesis seed $seed: exit $code ${dir:-(no run directory)}"
    { echo "- $workload $protocol $nemesis seed $seed: exit $code"; grep -E '^(liveness|stream-ordering) ' "$out/$name.log" | sed 's/^/  - /'; } >>"$summary"
    while read -r path count; do
      sim_path_taken[$path]=$((${sim_path_taken[$path]} + count))
    done < <(path_counts "$dir")
    case $code in
      0) ;;
      1) invalid+=("$name: $workload $protocol $nemesis seed $seed is INVALID in simulation: $dir (log $out/$name.log)") ;;
      *) broken+=("$name: $workload $protocol $nemesis seed $seed ended with exit $code (log $out/$name.log)") ;;
    esac
  done
  for path in decisionQueries precommitTimeouts recoveries relayResends; do
    echo "- $path taken ${sim_path_taken[$path]} times in all" >>"$summary"
    if [[ ${sim_path_taken[$path]} == 0 ]]; then broken+=("sim exposure: no simulated run took the recovery path $path"); fi
  done
fi

# Reads a rig efficacy log's verdicts into invalid/accused and broken/missed; prefix names the step in the messages.
collect_efficacy() {
  local prefix=$1 log_file=$2 code=$3 verdicts line
  verdicts=$(efficacy_verdicts "$(sed -n 's/^written to //p' "$log_file" | tail -1)")
  while IFS= read -r line; do
    case $line in
      accused:*)
        invalid+=("$prefix: the correct system was found invalid: ${line#accused: } (log $log_file)")
        accused+=("${line#accused: }")
        ;;
      missed:*)
        broken+=("$prefix: planted bug not detected: ${line#missed: } (log $log_file)")
        missed+=("${line#missed: }")
        ;;
    esac
  done <<<"$verdicts"
  if [[ $code != 0 && -z $verdicts ]]; then broken+=("$prefix ended with exit $code (log $log_file)"); fi
}

if [[ -n $(units_of efficacy-sim) ]]; then
  log "rig efficacy --sim"
  code=$(step efficacy-sim 1800 "${rig[@]}" efficacy --sim --store "$store")
  log "rig efficacy --sim: exit $code"
  { echo; echo "## Efficacy in simulation (exit $code)"; echo; sed -n '/^| bug/,/^$/p' "$out/efficacy-sim.log"; } >>"$summary"
  collect_efficacy "efficacy --sim" "$out/efficacy-sim.log" "$code"
fi

if [[ -n $(units_of efficacy) ]]; then
  if "${rig[@]}" efficacy --help >/dev/null 2>&1; then
    log "rig efficacy"
    code=$(step efficacy 3600 "${rig[@]}" efficacy --store "$store")
    log "rig efficacy: exit $code"
    { echo; echo "## Efficacy (exit $code)"; echo; sed -n '/^| bug/,/^$/p' "$out/efficacy.log"; } >>"$summary"
    # Exit 1 means either a correct run was accused (an invalid run of the correct system) or a planted bug went
    # undetected (the rig missed it): efficacy.json tells which.
    collect_efficacy efficacy "$out/efficacy.log" "$code"
  else
    log "rig efficacy is not available in this checkout: skipped"
  fi
fi

if [[ -n $(units_of bench) ]]; then
  log "rig bench --duration $bench_duration"
  code=$(step bench 3600 "${rig[@]}" bench --duration "$bench_duration" --store "$store")
  log "rig bench: exit $code"
  { echo; echo "## Benchmark (exit $code)"; echo; echo '```'; grep -E 'best:|half load:|load average|wrote' "$out/bench.log" || true; echo '```'; } >>"$summary"
  [[ $code == 0 ]] || broken+=("bench ended with exit $code (log $out/bench.log)")
fi

# Mutation testing of checkers/ against the unit tests: a test suite weakened below the threshold fails the night (exit
# 2: the rig, not the system, fell short). --force runs every mutant: incremental mode cannot see a change to a test
# helper (fixtures.ts), only to the test files themselves.
if [[ -n $(units_of mutation) ]]; then
  log "npm run mutation of ${mutation_files:-checkers/} (break below $mutation_break%)"
  code=$(step mutation 3600 env MUTATION_BREAK="$mutation_break" npm run mutation -- --force \
    ${mutation_files:+--mutate "$mutation_files"})
  score=$(sed -n 's/.*Final mutation score \(of \)\{0,1\}\([0-9.]*\).*/\2/p' "$out/mutation.log" | tail -1)
  log "npm run mutation: exit $code, score ${score:-none}"
  cp store/mutation/mutation.html store/mutation/mutation.json "$out/" 2>/dev/null || true
  { echo; echo "## Mutation testing of ${mutation_files:-checkers/} (exit $code, score ${score:-none}, break below $mutation_break)"; echo
    echo '```'; sed -n '/^-*|-/,/^-*|-*$/p' "$out/mutation.log" | grep '|' || true; echo '```'; } >>"$summary"
  if grep -q 'under breaking threshold' "$out/mutation.log"; then
    broken+=("mutation: score ${score:-?} is below the threshold $mutation_break: a checker test was weakened or lost (log $out/mutation.log, report $out/mutation.html)")
  elif [[ $code != 0 ]]; then
    broken+=("mutation ended with exit $code (log $out/mutation.log)")
  fi
fi

# Every shard indexes its own store (not a unit: it is cheap, and a shard's artifact is readable alone); the merge
# writes the night's index over all of them.
if "${rig[@]}" report --help >/dev/null 2>&1; then
  code=$(step report 600 "${rig[@]}" report --index --store "$store")
  log "rig report --index: exit $code ($store/index.html)"
  [[ $code == 0 ]] || broken+=("rig report --index ended with exit $code (log $out/report.log)")
else
  log "rig report is not available in this checkout: no index written"
fi

{
  echo
  echo "## Failures"
  echo
  if ((${#invalid[@]} + ${#broken[@]} == 0)); then echo "none"; fi
  for f in "${invalid[@]}" "${broken[@]}"; do echo "- $f"; done
} >>"$summary"

exit_code=0
if ((${#broken[@]} > 0)); then exit_code=2; fi
if ((${#invalid[@]} > 0)); then exit_code=1; fi
if ! write_outcome "$exit_code"; then
  broken+=("outcome.json could not be written to $out: the merge will count this shard as missing")
  if ((exit_code == 0)); then exit_code=2; fi
fi
log "done: ${#invalid[@]} invalid, ${#broken[@]} could not run or unknown; summary in $summary"
for f in "${invalid[@]}" "${broken[@]}"; do log "FAILED $f"; done
exit "$exit_code"
