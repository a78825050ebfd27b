// drsim: the one include for users.
//
//   auto scenario = drsim::Scenario::load("models/asm-gtm-drill.json");
//   scenario.set("gtm.ttl", "30s");
//   auto result = drsim::run(scenario, {.seed = 7, .replications = 100});
//   std::cout << result.fortio_summary();
#pragma once

#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/run.hpp"
#include "drsim/scenario/model_error.hpp"
#include "drsim/scenario/scenario.hpp"
#include "drsim/scenario/units.hpp"
#include "drsim/version.hpp"
