// The population section: resolvers with Zipf-like client shares and a
// mixture of TTL behaviours, and the drain curve it gives against the
// published points (Flavel et al., LANMAN 2014: TTL 20 s, 90 % of requests
// switched within 60 s, 2 % of users still on the old answer after 15 min).
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/scenario/scenario.hpp"

using namespace drsim;
using drsim::testing::source_path;

namespace {
const std::string kPopulation = source_path("models/resolver-population.json");
}  // namespace

TEST_CASE("A population section becomes N resolvers with Zipf shares and one client population per group", "[population]") {
  const auto sc = Scenario::load(kPopulation);
  const ModelSpec& spec = sc.spec();
  REQUIRE(spec.resolvers.size() == 100);
  CHECK(spec.resolvers.front().name == "population-1");
  CHECK(spec.resolvers.back().name == "population-100");
  CHECK(spec.resolvers[0].violator_chance == Approx(0.0874));
  REQUIRE(spec.populations.size() == 1);
  const auto& shares = spec.populations[0].resolvers;
  REQUIRE(shares.size() == 100);
  // Zipf with exponent 1: share_k = (1/k) / H_100, H_100 = 5.1874.
  CHECK(shares[0].second == Approx(1 / 5.18738).epsilon(1e-4));
  CHECK(shares[1].second == Approx(0.5 / 5.18738).epsilon(1e-4));
  CHECK(shares[99].second == Approx(0.01 / 5.18738).epsilon(1e-4));
  CHECK(spec.populations[0].load.clients == 10000);
}

TEST_CASE("Which population resolvers violate TTLs is drawn per replication with violator_share", "[population]") {
  // 100 resolvers x 200 replications at p = 0.0874: 1,748 violators expected, standard deviation 40.
  auto spec = Scenario::load(kPopulation).spec();
  std::size_t violators = 0;
  for (std::uint64_t k = 0; k < 200; ++k) {
    FailoverModel model(spec, replication_seed(3, k));
    for (std::size_t r = 0; r < spec.resolvers.size(); ++r) violators += model.resolver(r).params().violator_hold_s ? 1 : 0;
  }
  CHECK(static_cast<double>(violators) == Approx(1748).margin(160));
}

TEST_CASE("The default population drains as published: about 10 % of requests at 60 s, 1-3 % of clients at 900 s",
          "[population][drain][slow]") {
  // Honouring resolvers switch within 21 s of the change (unbound: TTL 20 s, served through its last
  // second) and their clients with them, so what is left at 60 s is the share of clients behind violators
  // whose hold, begun before the change, has not run out: 0.0874 x P(R > 60 s), R the residual of a
  // lognormal hold with median 600 s and log-sd 0.75 (mean 795 s): P(R > 60) = 0.92, P(R > 900) = 0.25,
  // so about 8.1 % of requests at 60 s and 2.2 % of clients at 900 s on average. The client share of the
  // violators varies a lot between replications (resolver 1 alone serves 19 % of the clients), so the
  // averages over 60 replications are checked against the published points: 10 +/- 3 % and 1-3 %.
  const auto spec = Scenario::load(kPopulation).spec();
  RunningStats at60, at900;
  for (std::uint64_t k = 0; k < 60; ++k) {
    FailoverModel model(spec, replication_seed(1, k));
    const auto& d = model.run().drain;
    REQUIRE(d.started());
    REQUIRE(d.seconds() > 900);
    at60.add(d.at(60).requests_old);
    at900.add(d.at(900).clients_old);
  }
  INFO("requests_old(60 s) mean " << at60.mean() << ", clients_old(900 s) mean " << at900.mean());
  CHECK(at60.mean() >= 0.07);
  CHECK(at60.mean() <= 0.13);
  CHECK(at900.mean() >= 0.01);
  CHECK(at900.mean() <= 0.03);
}
