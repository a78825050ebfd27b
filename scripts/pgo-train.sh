#!/usr/bin/env bash
# The training run of the profile-guided build (cmake/pgo.cmake, DRSIM_PGO):
# the instrumented CLI runs the work whose speed the benchmarks hold, so GCC
# sees which way the request path's branches go and which calls are hot.
#
#   scripts/pgo-train.sh DRSIM MODELS_DIR
#
# DRSIM is the instrumented CLI (<build>/pgo-train/bin/drsim); the counts land
# in the directory it was built to write them to (<build>/pgo-profile). Every
# shipped model runs, so no path is trained by one model alone: the seed drill
# and its cached-rr form (most replications), the spike (a million requests
# with report detail), a small sweep (run_points), the mesh and resolver
# models, and the million-client population at a hundredth of its size. About
# 5 s on one core.
set -euo pipefail
drsim=$1
models=$2

run() { "$drsim" run "$@" --threads 1 --quiet >/dev/null; }

run "$models/asm-gtm-drill.json" --replications 100
run "$models/asm-gtm-drill-cached-rr.json" --replications 30
run "$models/surviving-region-spike.json"
run "$models/asm-mesh-locality-failover.json" --replications 3
run "$models/bookinfo-cross-cluster.json" --replications 2
run "$models/resolver-population.json" --replications 3
run "$models/population-region-outage.json" \
  --set population.groups.browsers.load.clients=6000 --set population.groups.browsers.load.rate=600/s \
  --set population.groups.java-services.load.clients=2500 --set population.groups.java-services.load.rate=250/s \
  --set population.groups.python-scripts.load.clients=1500 --set population.groups.python-scripts.load.rate=150/s
"$drsim" sweep "$models/asm-gtm-drill.json" --grid gtm.ttl=60s,120s --grid gtm.health_check.failures=1,3 \
  --replications 5 --threads 1 --quiet >/dev/null
