#!/usr/bin/env bash
# Soak of the deterministic simulation: every scenario (or the ones named) over N fresh seeds,
# split into one job per core (each job runs its seeds one after another, so -j is the number of
# cores used), each job `nice -n 10` and bounded in time; then one summary
# table: runs, violations (invariant failures and failed scenario expectations), node
# convergence (all nodes own a block) min/median/max, wall time per run and in total.
#
#   scripts/soak.sh [-n runs] [-j jobs] [-m minutes] [scenario ...]
#
# Scenarios are test function names (see the list below); `scale` = the 200/500/1,000-node
# runs. Seeds are base·1000 + k (far from the seeds `swift test` runs); a failing one replays
# with SIM_SEED=<seed> SIM_TRACE=1 (SIM_SCALE=1 for the 500/1,000-node ones) and
# swift test --filter <name>. Not part of CI (scripts/test-all.sh); CI runs the 200-node one once.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=100 jobs=$(nproc) minutes=25
while getopts "n:j:m:h" o; do
    case $o in
        n) runs=$OPTARG ;;
        j) jobs=$OPTARG ;;
        m) minutes=$OPTARG ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

small=(twoNodesClaimTheSameBlock twentyNodesStartTogether splitAndMerge roamingClientsKeepTheirAddress
       tenPercentPacketLoss nodeRestartsWithEmptyState zeroIDNodesMixedWithOurs heavyDemand chaos cDefaults
       nodeJoinsRunningMesh joinersRaceEachOtherAndACNode joinOverLossyMesh
       mergeByLeaseCount mergeWithCPeerKeepsCRule roamedClientTakesItsBlock joiningNodeIsHandedASpareBlock staticLeaseWhileRoaming
       killAndRespawn respawnAmongCPeers respawnOverLossyMesh repeatedRespawnsKeepBlocksBounded needlessTimerSurvivesRespawns
       burstOnOneNodeOfTen floodOnOneNodeOfTwo)
# (SimulationScenarios, SimulationFastJoin, SimulationMergeHandover, SimulationRestart, SimulationBurst,
# SimulationFlood; a parameterised test runs each seed once per argument case, so its run count is
# seeds × cases.)
scale=(twoHundredNodes fiveHundredNodes thousandNodes)
if [ $# -eq 0 ]; then set -- "${small[@]}" "${scale[@]}"; fi
names=()
for s in "$@"; do
    if [ "$s" = scale ]; then names+=("${scale[@]}"); elif [ "$s" = small ]; then names+=("${small[@]}"); else names+=("$s"); fi
done

echo "soak: building the tests (release)" >&2
swift build -c release --build-tests -Xswiftc -enable-testing -Xswiftc -enforce-exclusivity=unchecked >/tmp/ddhcpd-soak-build.$$.log 2>&1 ||
    { cat /tmp/ddhcpd-soak-build.$$.log; rm -f /tmp/ddhcpd-soak-build.$$.log; exit 1; }
rm -f /tmp/ddhcpd-soak-build.$$.log
bin=$(swift build -c release --show-bin-path)/ddhcpdPackageTests.xctest
out=$(mktemp -d /tmp/ddhcpd-soak.XXXXXX)
trap 'rm -rf "$out"' EXIT

printf "%-32s %6s %10s %10s %10s %10s %9s %9s\n" scenario runs violations conv_min conv_med conv_max wall/run wall
for name in "${names[@]}"; do
    started=$(date +%s)
    per=$(( (runs + jobs - 1) / jobs ))
    pids=()
    for ((j = 0; j < jobs; j++)); do
        first=$((j * per)); count=$per
        [ $((first + count)) -gt "$runs" ] && count=$((runs - first))
        [ "$count" -le 0 ] && break
        SIM_STATS=1 SIM_SCALE=1 SIM_SEEDS="$first:$count" timeout "$((minutes * 60))" nice -n 10 \
            "$bin" --testing-library swift-testing --no-parallel --filter "/$name\\(" >"$out/$name.$j" 2>&1 &
        pids+=($!)
    done
    crashed=0
    for p in "${pids[@]}"; do
        wait "$p"; rc=$?
        # 1 = a test failed (counted from its issues below); 124 = the time bound ended the job.
        [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 124 ] && crashed=$((crashed + 1))
    done
    wall=$(( $(date +%s) - started ))
    cat "$out/$name".* | awk -v name="$name" -v wall="$wall" -v crashed="$crashed" '
        /^SIMSTATS / {
            n++
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^converged=/) { v = substr($i, 11); sub(/s$/, "", v); if (v != "never") conv[++c] = v + 0 }
                if ($i ~ /^wall=/) { w = substr($i, 6); sub(/s$/, "", w); tw += w }
            }
        }
        /recorded an issue/ { issues++ }
        END {
            m = c; for (i = 1; i <= m; i++) for (k = i + 1; k <= m; k++) if (conv[k] < conv[i]) { t = conv[i]; conv[i] = conv[k]; conv[k] = t }
            lo = m ? sprintf("%.1fs", conv[1]) : "-"; md = m ? sprintf("%.1fs", conv[int((m + 1) / 2)]) : "-"; hi = m ? sprintf("%.1fs", conv[m]) : "-"
            printf "%-32s %6d %10d %10s %10s %10s %8.2fs %8ds\n", name, n, issues + crashed, lo, md, hi, n ? tw / n : 0, wall
        }'
    grep -h -A3 "recorded an issue" "$out/$name".* | head -n 20 >&2
done
