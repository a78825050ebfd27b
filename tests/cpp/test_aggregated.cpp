// The aggregated execution of population models (aggregated_clients.hpp)
// against the per-request one: the same model and seed in both modes, every
// headline figure compared replication by replication.
//
// The two modes share the control plane's random streams (probe phases,
// fault times, resolver draws), so a replication's figures are paired; the
// clients' arrivals differ. A figure agrees when the interval of the mean
// paired difference contains 0. With k figures compared, each interval is
// taken at 1 - 0.05 / k (Bonferroni), so that the whole family holds at
// 95 %: "every figure within its 95 % interval" is a statement about all of
// them at once.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cli_runner.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/model/aggregated_clients.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/run.hpp"
#include "drsim/scenario/scenario.hpp"

using namespace drsim;
using drsim::testing::source_path;

namespace {

std::string base_model() {
  std::ifstream in(source_path("tests/models/agreement/base.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The base model with the first occurrence of `old` replaced.
std::string base_with(const std::string& old, const std::string& replacement) {
  std::string text = base_model();
  const auto at = text.find(old);
  REQUIRE(at != std::string::npos);
  return text.replace(at, old.size(), replacement);
}

/// The base model with its fault line replaced.
std::string with_fault(const std::string& fault) {
  return base_with(R"({"kind": "gateway_deleted", "target": "cluster-1", "at": "150s"})", fault);
}

Scenario mode(const std::string& text, const char* execution, std::vector<Override> extra = {}) {
  Scenario sc = Scenario::from_json(text, "agreement");
  extra.push_back({"population.execution", execution});
  sc.set(extra);
  return sc;
}

struct Disagreement {
  std::string figure;
  double mean_difference = 0, half_width = 0;
};

/// Figures whose paired differences do not contain 0 at family-wise 95 %.
std::vector<Disagreement> disagreements(const Result& a, const Result& b, std::size_t* compared = nullptr) {
  const auto& fa = a.per_replication();
  const auto& fb = b.per_replication();
  REQUIRE(fa.size() == fb.size());
  // Figures every replication of both runs has.
  std::vector<std::string> names;
  for (const auto& [name, v] : fa.front()) {
    bool everywhere = true;
    for (std::size_t i = 0; i < fa.size(); ++i) everywhere = everywhere && fa[i].count(name) && fb[i].count(name);
    if (everywhere) names.push_back(name);
  }
  if (compared) *compared = names.size();
  const double level = 1 - 0.05 / static_cast<double>(names.size());
  std::vector<Disagreement> out;
  for (const auto& name : names) {
    RunningStats d;
    for (std::size_t i = 0; i < fa.size(); ++i) d.add(fa[i].at(name) - fb[i].at(name));
    const ConfidenceInterval ci = t_interval(d, level);
    if (ci.lo > 0 || ci.hi < 0) out.push_back({name, d.mean(), (ci.hi - ci.lo) / 2});
  }
  return out;
}

std::string describe(const std::vector<Disagreement>& ds) {
  std::string s;
  for (const auto& d : ds) s += d.figure + ": mean difference " + std::to_string(d.mean_difference) + " +/- " + std::to_string(d.half_width) + "\n";
  return s.empty() ? "none" : s;
}

constexpr int kReplications = 30;

/// A model the aggregated mode does not cover: asked for it, the model runs
/// per request, warns with `reason`, and gives the per-request run's figures.
Result runs_per_request_saying(const std::string& text, const std::string& reason, std::size_t replications) {
  const Scenario agg = mode(text, "aggregated");
  const Scenario per = mode(text, "per_request");
  CHECK_FALSE(agg.spec().populations.front().aggregate);
  bool said = false;
  for (const auto& w : agg.warnings()) said = said || w.find(reason) != std::string::npos;
  CHECK(said);
  RunOptions o;
  o.replications = replications;
  Result a = run(agg, o);
  CHECK(a.per_replication() == run(per, o).per_replication());
  return a;
}

void check_agreement(const std::string& text, std::vector<Override> extra = {}) {
  const Scenario agg = mode(text, "aggregated", extra);
  const Scenario per = mode(text, "per_request", extra);
  REQUIRE(agg.spec().populations.front().aggregate);
  REQUIRE_FALSE(per.spec().populations.front().aggregate);
  RunOptions o;
  o.replications = kReplications;
  const Result a = run(agg, o);
  const Result b = run(per, o);
  std::size_t compared = 0;
  const auto ds = disagreements(a, b, &compared);
  INFO("figures compared: " << compared << "; disagreeing: " << describe(ds));
  CHECK(compared >= 10);
  CHECK(ds.empty());
  // And the failures are there to agree on.
  CHECK(a.summary().failed > 0);
}

}  // namespace

TEST_CASE("Aggregated and per-request runs agree when the gateway is deleted (connects refused)", "[aggregated][agreement]") {
  check_agreement(base_model());
}

TEST_CASE("Aggregated and per-request runs agree when the gateway is black-holed (connects time out)", "[aggregated][agreement]") {
  check_agreement(with_fault(R"({"kind": "gateway_blackholed", "target": "cluster-1", "at": "150s"})"));
}

TEST_CASE("Aggregated and per-request runs agree with TTL violators and a region outage", "[aggregated][agreement]") {
  check_agreement(with_fault(R"({"kind": "region_outage", "target": "region-1", "at": "150s"})"),
                  {{"population.violator_share", "0.3"}});
}

TEST_CASE("Aggregated and per-request runs agree under a gray failure (503s and slow answers)", "[aggregated][agreement]") {
  check_agreement(with_fault(
      R"({"kind": "gray_failure", "target": "cluster-1", "at": "150s", "duration": "120s", "error_share": 0.3, "extra_latency": "40ms"})"));
}

/// The model with every client keeping its connection alive.
std::string kept_alive(std::string text) {
  for (std::size_t at = text.find(R"("keepalive": false)"); at != std::string::npos; at = text.find(R"("keepalive": false)", at))
    text.replace(at, 18, R"("keepalive": true )");
  return text;
}

TEST_CASE("Aggregated and per-request runs agree with kept-alive connections (deleted gateway: resets)", "[aggregated][agreement]") {
  check_agreement(kept_alive(base_model()));
}

TEST_CASE("Aggregated and per-request runs agree with kept-alive connections (black hole, then gray failure)", "[aggregated][agreement]") {
  check_agreement(kept_alive(with_fault(R"({"kind": "gateway_blackholed", "target": "cluster-1", "at": "150s"})")));
  check_agreement(kept_alive(with_fault(
      R"({"kind": "gray_failure", "target": "cluster-1", "at": "150s", "duration": "120s", "error_share": 0.3, "extra_latency": "40ms"})")));
}

TEST_CASE("The comparison has power: an aggregated run with a TTL 10 % off disagrees", "[aggregated][agreement]") {
  const std::string text = base_model();
  const Scenario agg = mode(text, "aggregated", {{"gtm.ttl", "66s"}});
  const Scenario per = mode(text, "per_request");
  RunOptions o;
  o.replications = kReplications;
  const auto ds = disagreements(run(agg, o), run(per, o));
  INFO("disagreeing: " << describe(ds));
  CHECK_FALSE(ds.empty());
}

TEST_CASE("Overload with a rate limit and an HPA is not aggregated: the model runs per request and says why", "[aggregated]") {
  // Queues and limits make requests interact: the aggregated mode leaves
  // such a model to the request path, so both executions are one.
  const std::string text = base_with(
      R"("gateway": {"address": "gw-2", "service_time": {"lognormal": {"mean": "3ms", "stddev": "1ms"}}})",
      R"("gateway": {"address": "gw-2", "replicas": 1, "pod": {"workers": 2, "cpu_per_request": {"exponential": "4ms"}, "max_pending": 64, "startup_time": "5s"}, "cpu_request": "100m", "rate_limit": {"fill_interval": "1s", "quota": 60, "refill": "timer", "port": 80}, "hpa": {"min_replicas": 1, "max_replicas": 2, "target_cpu_utilization": 70}})");
  const Result a = runs_per_request_saying(text, "capacity model", 3);
  CHECK(a.summary().by_cause.count("http_429"));
  CHECK(a.summary().by_cause.at("http_429") > 0);
}

TEST_CASE("A rate that starts after t = 0 is not aggregated: its one step is a change from 0", "[aggregated]") {
  // The aggregated groups send at one rate from the start; a single step at
  // 60 s has no requests before it, so the model runs per request and says why.
  const std::string text = base_with(R"("rate": "140/s")", R"("rate": [{"at": "60s", "rate": "140/s"}])");
  const Result a = runs_per_request_saying(text, "stubs: its rate varies in time", 2);
  // Before 60 s only the browsers' 60/s: about 3,600 requests, not 12,000.
  const RunMetrics& m = a.metrics();
  std::uint64_t early = 0;
  for (std::size_t s = 0; s < 60; ++s)
    for (std::size_t r = 0; r <= m.regions(); ++r) early += m.at(s, r).sent;
  CHECK(early == Approx(3600).margin(300));
}

TEST_CASE("An aggregated client costs no event per request and no simulator slot", "[aggregated]") {
  const Scenario agg = mode(base_model(), "aggregated");
  const Scenario per = mode(base_model(), "per_request");
  ModelSpec every_step = per.spec();
  every_step.request_shortcuts = false;
  FailoverModel a(agg.spec(), 7), b(every_step, 7);
  const auto& ma = a.run();
  const auto& mb = b.run();
  // Only the control plane's events run in the simulator: probes, checks, faults.
  CHECK(a.simulator().executed_events() * 20 < ma.started());
  // Per request with every step an event, at least each request's own arrival is one.
  CHECK(b.simulator().executed_events() >= mb.started());
  CHECK(a.peak_in_flight() == 0);
}

TEST_CASE("A hand-built ModelSpec that asks for aggregation it cannot have is refused", "[aggregated]") {
  Scenario sc = mode(base_model(), "aggregated");
  ModelSpec spec = sc.spec();
  spec.populations.front().profile.retries = 2;
  REQUIRE_THROWS_WITH(FailoverModel(spec, 1), Catch::Contains("cannot run in aggregate") && Catch::Contains("retry"));
}
