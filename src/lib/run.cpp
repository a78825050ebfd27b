#include "drsim/run.hpp"

#include <algorithm>
#include <mutex>

#include "drsim/model/failover_model.hpp"
#include "worker_pool.hpp"

namespace drsim {

std::map<std::string, double> headline_figures(const RunMetrics& m) {
  std::map<std::string, double> f;
  const Headline h = m.headline();
  f["requests"] = static_cast<double>(m.started());
  f["failed"] = static_cast<double>(m.failed());
  f["failed_pct"] = h.failed_pct;
  const double completed = static_cast<double>(std::max<std::uint64_t>(1, m.completed()));
  f["refused_pct"] = 100.0 * static_cast<double>(m.count(Cause::connect_refused)) / completed;
  f["timeout_pct"] = 100.0 * static_cast<double>(m.count(Cause::connect_timeout) + m.count(Cause::read_timeout)) / completed;
  f["throttled_pct"] = h.throttled_pct;
  f["code_503_pct"] = 100.0 * static_cast<double>(m.count_503()) / completed;
  if (m.mesh) {
    f["ejections"] = static_cast<double>(m.mesh->ejections);
    f["retries"] = static_cast<double>(m.mesh->retries);
  }
  if (h.time_to_detect_s) f["time_to_detect_s"] = *h.time_to_detect_s;
  if (h.time_to_answer_change_s) f["time_to_answer_change_s"] = *h.time_to_answer_change_s;
  if (h.time_to_drain_s) f["time_to_drain_s"] = *h.time_to_drain_s;
  if (h.failure_window_start_s && h.failure_window_end_s)
    f["failure_window_s"] = *h.failure_window_end_s - *h.failure_window_start_s;
  if (h.fault_at_s) f["fault_at_s"] = *h.fault_at_s;
  f["latency_p99_s"] = static_cast<double>(m.latency().quantile_ns(0.99)) * 1e-9;
  f["latency_p50_s"] = static_cast<double>(m.latency().quantile_ns(0.50)) * 1e-9;
  if (h.peak_utilization_pct) f["peak_utilization_pct"] = *h.peak_utilization_pct;
  if (h.time_to_stable_s) f["time_to_stable_s"] = *h.time_to_stable_s;
  return f;
}

double expected_requests(const ModelSpec& spec) {
  double total = 0;
  for (const auto& p : spec.populations) {
    const LoadSpec& l = p.load;
    switch (l.kind) {
      case LoadKind::fortio:
        total += l.fortio.calls > 0 ? static_cast<double>(l.fortio.calls) : l.fortio.qps * l.fortio.duration.seconds_f();
        break;
      case LoadKind::open_loop: total += l.rate.max_rate() * l.duration.seconds_f(); break;
      case LoadKind::closed_loop:
        total += static_cast<double>(l.clients) * l.duration.seconds_f() / std::max(1e-3, l.think_s.mean());
        break;
    }
  }
  return total;
}

FortioSettings fortio_settings(const ModelSpec& spec, const std::string& model_name) {
  FortioSettings f;
  for (const auto& c : spec.gateways) f.addresses.push_back(c.address);
  f.url = "http://" + model_name + "/";
  const PopulationSpec* fortio = nullptr;
  for (const auto& p : spec.populations)
    if (p.load.kind == LoadKind::fortio && !fortio) fortio = &p;
  if (fortio) {
    const FortioParams& l = fortio->load.fortio;
    f.qps = l.qps;
    f.threads = l.connections;
    f.duration = l.duration;
    f.exactly = l.calls;
    const std::int64_t total = l.calls > 0 ? l.calls : static_cast<std::int64_t>(std::llround(l.qps * l.duration.seconds_f()));
    f.calls_per_thread = total / std::max(1, l.connections);
    f.jitter = l.jitter;
    f.catchup = l.catchup;
    f.keepalive = fortio->profile.keepalive;
    f.timeout = fortio->profile.total_timeout > Duration::zero() ? fortio->profile.total_timeout
                                                                  : fortio->profile.read_timeout;
  } else if (!spec.populations.empty()) {
    const auto& p = spec.populations.front();
    f.duration = load_end(spec) - p.load.start;
    f.qps = f.duration > Duration::zero() ? expected_requests(spec) / f.duration.seconds_f() : 0;
    f.threads = 0;
    for (const auto& q : spec.populations) f.threads += static_cast<int>(q.load.kind == LoadKind::fortio ? 1 : q.load.clients);
    f.calls_per_thread = static_cast<std::int64_t>(expected_requests(spec)) / std::max(1, f.threads);
    f.keepalive = p.profile.keepalive;
    f.timeout = p.profile.read_timeout;
  }
  return f;
}

namespace {

Summary summarize(const RunMetrics& m) {
  Summary s;
  s.requests = m.started();
  s.ok = m.ok();
  s.failed = m.failed();
  s.in_flight = m.in_flight();
  s.pre_fault_failed = m.pre_fault_failed();
  s.attempts = m.attempts();
  if (m.mesh) {
    s.ejections = m.mesh->ejections;
    s.retries = m.mesh->retries;
  }
  for (std::size_t c = 0; c < m.cause_columns(); ++c) {
    const auto cause = static_cast<Cause>(c);
    const std::uint64_t n = m.count(cause);
    s.by_cause[std::string(cause_name(cause))] = n;
    if (n) s.by_code[fortio_code(cause)] += n;
  }
  s.headline = m.headline();
  const auto& lat = m.latency();
  s.latency_p50_s = static_cast<double>(lat.quantile_ns(0.50)) * 1e-9;
  s.latency_p90_s = static_cast<double>(lat.quantile_ns(0.90)) * 1e-9;
  s.latency_p99_s = static_cast<double>(lat.quantile_ns(0.99)) * 1e-9;
  s.latency_p999_s = static_cast<double>(lat.quantile_ns(0.999)) * 1e-9;
  s.latency_avg_s = lat.mean_ns() * 1e-9;
  s.latency_max_s = static_cast<double>(lat.max_ns()) * 1e-9;
  if (m.last_completion() > m.first_start()) {
    s.duration_s = (m.last_completion() - m.first_start()).seconds_f();
    s.actual_qps = static_cast<double>(m.completed()) / s.duration_s;
  }
  return s;
}

}  // namespace

RunMetrics run_replication(const ModelSpec& spec, std::uint64_t seed) {
  FailoverModel model(spec, seed);
  return std::move(model.run());
}

detail::EngineLoad detail::engine_load(const ModelSpec& spec, std::uint64_t seed, Duration sample_every) {
  FailoverModel model(spec, seed);
  Simulator& sim = model.simulator();
  double sum = 0;
  std::uint64_t samples = 0;
  if (sample_every > Duration::zero())
    sim.every(sample_every, [&] {
      sum += static_cast<double>(sim.pending_events()) - 1;  // not the sampler's own next event
      ++samples;
    });
  model.run();
  return {sim.executed_events() - samples, samples ? sum / static_cast<double>(samples) : 0.0};
}

Result run(const Scenario& scenario, const RunOptions& options) {
  if (options.replications < 1) throw std::invalid_argument("replications must be >= 1");
  const int n = options.replications;
  Result result;
  result.figures_.resize(static_cast<std::size_t>(n));
  std::mutex progress_mutex;
  std::size_t done = 0;
  detail::for_each_task(static_cast<std::size_t>(n), options.threads, [&](std::size_t k) {
    ModelSpec spec = scenario.spec();
    if (k > 0) {
      spec.log_events = false;  // only replication 0's log and series detail are reported
      spec.report_detail = false;
    }
    RunMetrics m = run_replication(spec, replication_seed(options.seed, k));
    result.figures_[k] = headline_figures(m);
    if (k == 0) result.metrics_ = std::move(m);
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      options.progress(++done, static_cast<std::size_t>(n));
    }
  });

  // Aggregate in replication order: the same numbers whatever the threads did.
  std::map<std::string, RunningStats> stats;
  for (const auto& f : result.figures_)
    for (const auto& [k, v] : f) stats[k].add(v);
  for (const auto& [k, s] : stats) result.aggregates_[k] = figure_interval(k, s, 0.95);

  result.summary_ = summarize(result.metrics_);
  result.seed_ = options.seed;
  result.model_ = scenario.name();
  result.regions_ = scenario.region_names();
  result.assumptions_ = scenario.assumptions();
  result.warnings_ = scenario.warnings();
  if (result.metrics_.latency_detail_truncated())
    result.warnings_.push_back("per-second latency quantiles (series.csv p50/p99) cover the first " +
                               std::to_string(RunMetrics::kMaxLatencyCells) +
                               " second-region cells with requests only; later seconds keep their counts");
  result.notes_ = scenario.notes();
  result.fortio_ = fortio_settings(scenario.spec(), result.model_);
  return result;
}

}  // namespace drsim
