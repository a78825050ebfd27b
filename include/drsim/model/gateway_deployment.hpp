// A gateway Deployment under load: its pods (a queue each), Envoy's local
// rate limit (one bucket per pod), metrics-server scraping the pods' CPU, and
// the HPA resizing the Deployment from those scrapes.
//
// The chain the surviving region lives through: the offered load jumps, the
// per-pod buckets reject what exceeds ready pods x quota (429), CPU rises,
// metrics-server reports it one scrape window later, the HPA's next sync asks
// for more pods, and each new pod takes traffic only after its start-up time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/model/event_log.hpp"
#include "drsim/model/gateway.hpp"
#include "drsim/model/hpa.hpp"
#include "drsim/model/token_bucket.hpp"

namespace drsim {

struct GatewayCapacitySpec {
  std::int32_t replicas = 1;  // at the start of the run, ready at once
  GatewayConfig pod;          // workers, CPU per request, pending queue
  Distribution startup_s = Distribution::uniform(5, 10);  // scheduling to Ready for pods the HPA adds
  CpuQuantity cpu_request = CpuQuantity::millicores(100);  // Istio gateway chart: requests 100m
  /// CPU a rate-limited request costs, as a share of a served one (Envoy
  /// still parses the request and writes the 429). UNCONFIRMED: a parameter.
  double rejected_cpu_share = 0.1;
  std::optional<RateLimitSpec> rate_limit;
  std::optional<HpaSettings> hpa;  // unset: replicas fixed

  /// metrics-server's scrape window (it scrapes whether or not an HPA reads it).
  [[nodiscard]] Duration metrics_resolution() const { return (hpa ? *hpa : HpaSettings{}).metrics_resolution; }
};

/// What became of a request offered to the Deployment at once.
enum class GatewayVerdict : std::uint8_t { accepted, rate_limited, overflow, no_ready_pod };


/// One second of the Deployment, for the per-second series.
struct DeploymentSample {
  std::int32_t desired = 0;
  std::int32_t ready = 0;
  double cpu_utilization_pct = 0;  // CPU used over the second / (ready pods x request), the HPA's view
  double busy_share = 0;           // busy workers / all workers of ready pods
  std::uint32_t queue_length = 0;  // pending requests over all pods
};

class GatewayDeployment {
 public:
  GatewayDeployment(Simulator& sim, GatewayCapacitySpec spec, std::string name, EventLog* log,
                    std::uint16_t component = 0)
      : sim_(&sim), spec_(std::move(spec)), name_(std::move(name)), log_(log), component_(component),
        gateway_(sim, spec_.pod, "gateway/" + name_, component), rng_(sim.stream("gateway/" + name_ + "/startup")) {
    if (spec_.replicas < 0) throw ParameterError("gateway replicas must not be negative");
    if (spec_.rate_limit && !spec_.rate_limit->per_downstream_connection) limiter_.emplace(spec_.rate_limit->bucket());
    if (spec_.rate_limit && spec_.rate_limit->per_downstream_connection)
      per_connection_.emplace(spec_.rate_limit->bucket());
    if (spec_.hpa) hpa_.emplace(spec_.hpa->spec, spec_.hpa->controller);
  }
  GatewayDeployment(const GatewayDeployment&) = delete;
  GatewayDeployment& operator=(const GatewayDeployment&) = delete;

  void start() {
    for (std::int32_t i = 0; i < spec_.replicas; ++i) add_pod(Duration::zero());
    desired_ = spec_.replicas;
    last_scrape_ = sim_->now();
    sim_->every(spec_.metrics_resolution(), [this] { scrape(); }, tag(EventKind::deployment_scrape, component_));
    if (hpa_) {
      next_sync_ = sim_->now() + spec_.hpa->sync_period;
      sim_->every(spec_.hpa->sync_period, [this] { sync(); }, tag(EventKind::deployment_sync, component_));
    }
    next_sample_ = sim_->now() + Duration::seconds(1);
    sim_->every(Duration::seconds(1), [this] { sample(); }, tag(EventKind::deployment_sample, component_));
    refresh_next_event();
  }

  /// When the Deployment's own next event is due: a scrape, an HPA sync, a
  /// per-second sample or a pod becoming ready (TimePoint::max() before
  /// start). Nothing else changes or reads its pods, buckets and counters but
  /// the requests offered to it and faults, so a caller that knows every
  /// request arriving before some time t < next_event_at() and no fault in
  /// between may offer them before their arrival, in arrival order
  /// (FailoverModel does, to spare an event per request).
  [[nodiscard]] TimePoint next_event_at() const { return next_event_at_; }

  /// The Deployment is gone (deleted, or its region is down): its pods take
  /// nothing and the HPA has no target to scale. Back up, it is recreated at
  /// its initial replica count, pods starting afresh.
  void set_down(bool down) {
    if (down == down_) return;
    down_ = down;
    if (down) {
      for (std::size_t i = 0; i < pods_.size(); ++i) {
        if (pods_[i].removed) continue;
        pods_[i].removed = true;
        gateway_.remove_pod(pods_[i].gateway_pod);
      }
      ready_.clear();
      desired_ = 0;
    } else {
      for (std::int32_t i = 0; i < spec_.replicas; ++i)
        add_pod(Duration::from_seconds(std::max(0.0, spec_.startup_s.sample(rng_))));
      desired_ = spec_.replicas;
    }
    refresh_next_event();
  }
  [[nodiscard]] bool down() const { return down_; }
  /// Whether kept-alive connections have rate-limit buckets of their own.
  [[nodiscard]] bool limits_per_connection() const { return per_connection_.has_value(); }

  /// A kept-alive downstream connection (its bucket's id and generation).
  using Connection = std::uint64_t;
  static constexpr Connection kNoConnection = UINT64_MAX;

  /// A kept-alive downstream connection opens: with per_downstream_connection
  /// it gets a full bucket of its own; the reference goes with its requests.
  Connection open_connection() {
    if (!per_connection_) return kNoConnection;
    const auto id = per_connection_->open_connection(sim_->now());
    return static_cast<Connection>(per_connection_->generation(id)) << 32 | id;
  }
  void close_connection(Connection c) {
    if (per_connection_ && c != kNoConnection) per_connection_->close_connection(static_cast<std::uint32_t>(c));
  }

  /// Offers a request arriving at `at` (now, or a time before which the
  /// caller knows no event is due); `timeout` is how long the client will
  /// wait for it. `connection`: the request's kept-alive connection
  /// (open_connection), or kNoConnection for a connection opened for this
  /// request alone, whose full bucket always admits it; a connection its
  /// client closed while the request was on its way counts as the latter. The answer is whole:
  /// an accepted request's pod has planned its start and end into `plan`
  /// (gateway.hpp says why that is exact), so no event follows.
  GatewayVerdict submit(TimePoint at, Duration timeout, Connection connection, GatewayPlan& plan) {
    const std::size_t n = ready_.size();
    if (n == 0) return GatewayVerdict::no_ready_pod;
    const std::uint32_t pod = ready_[next_ready_index(n)];
    const bool limited = limiter_ ? !limiter_->admit(pods_[pod].bucket, at)
                                  : per_connection_ && connection != kNoConnection &&
                                        per_connection_->is_open(static_cast<std::uint32_t>(connection),
                                                                 static_cast<std::uint32_t>(connection >> 32)) &&
                                        !per_connection_->admit(static_cast<std::uint32_t>(connection), at);
    if (limited) {
      // The 429 costs a little CPU too.
      pods_[pod].extra_cpu_ns += static_cast<std::int64_t>(spec_.rejected_cpu_share * spec_.pod.service_time.mean() * 1e9);
      ++rate_limited_;
      return GatewayVerdict::rate_limited;
    }
    gateway_.plan_into(pods_[pod].gateway_pod, at, timeout, plan);
    switch (plan.admission) {
      case GatewayAdmission::accepted: return GatewayVerdict::accepted;
      case GatewayAdmission::overflow: return GatewayVerdict::overflow;
      case GatewayAdmission::no_ready_pod: return GatewayVerdict::no_ready_pod;
    }
    return GatewayVerdict::no_ready_pod;
  }

  [[nodiscard]] const std::vector<DeploymentSample>& samples() const { return samples_; }
  [[nodiscard]] std::int32_t ready_replicas() const { return static_cast<std::int32_t>(ready_.size()); }
  [[nodiscard]] std::int32_t desired_replicas() const { return desired_; }
  [[nodiscard]] std::uint64_t rate_limited() const { return rate_limited_; }
  [[nodiscard]] const Gateway& gateway() const { return gateway_; }
  [[nodiscard]] const GatewayCapacitySpec& spec() const { return spec_; }
  [[nodiscard]] const std::optional<LocalRateLimit>& limiter() const { return limiter_; }

 private:
  struct PodRecord {
    std::uint32_t gateway_pod = 0;
    std::size_t bucket = 0;
    TimePoint created;
    TimePoint ready_due;  // when its start-up ends
    TimePoint ready_at = TimePoint::max();
    bool removed = false;
    std::int64_t extra_cpu_ns = 0;   // rate-limited requests' CPU
    std::int64_t cpu_at_scrape = 0;  // cumulative CPU at the last scrape
    std::int64_t cpu_at_sample = 0;  // cumulative CPU at the last per-second sample
    std::optional<CpuQuantity> usage;  // last scraped usage
    TimePoint metric_at;
  };

  // Round robin over the ready pods: cursor_++ % n, without a division per
  // request while n stays the same (the remainder steps along and wraps).
  std::size_t next_ready_index(std::size_t n) {
    if (n != cursor_n_) {
      cursor_n_ = n;
      cursor_mod_ = cursor_ % n;
    }
    const std::size_t i = cursor_mod_;
    ++cursor_;
    if (++cursor_mod_ == n) cursor_mod_ = 0;
    return i;
  }

  std::int64_t cpu_ns(const PodRecord& p) const { return gateway_.cpu_time(p.gateway_pod).ns() + p.extra_cpu_ns; }

  void add_pod(Duration startup) {
    const std::uint32_t gp = static_cast<std::uint32_t>(gateway_.add_pod(startup));
    PodRecord r;
    r.gateway_pod = gp;
    r.created = sim_->now();
    r.ready_due = sim_->now() + startup;
    if (limiter_) r.bucket = limiter_->add_pod(sim_->now() + startup);
    pods_.push_back(r);
    const auto idx = static_cast<std::uint32_t>(pods_.size() - 1);
    if (startup == Duration::zero()) {
      mark_ready(idx);
    } else {
      sim_->after(startup, [this, idx] { mark_ready(idx); }, tag(EventKind::deployment_pod_ready, component_));
    }
  }

  void mark_ready(std::uint32_t idx) {
    PodRecord& r = pods_[idx];
    if (r.removed) return;
    r.ready_at = sim_->now();
    ready_.push_back(idx);
    refresh_next_event();
  }

  // After each of the Deployment's events: the earliest one still to come.
  void refresh_next_event() {
    TimePoint t = std::min(last_scrape_ + spec_.metrics_resolution(), next_sample_);
    if (hpa_) t = std::min(t, next_sync_);
    for (const auto& r : pods_)
      if (!r.removed && r.ready_at == TimePoint::max()) t = std::min(t, r.ready_due);
    next_event_at_ = t;
  }

  void remove_newest(std::int32_t count) {
    // The controller removes unready pods first, then the newest.
    for (int pass = 0; pass < 2 && count > 0; ++pass) {
      for (std::size_t i = pods_.size(); i-- > 0 && count > 0;) {
        PodRecord& r = pods_[i];
        if (r.removed) continue;
        const bool ready = r.ready_at != TimePoint::max();
        if (pass == 0 && ready) continue;
        r.removed = true;
        gateway_.remove_pod(r.gateway_pod);
        ready_.erase(std::remove(ready_.begin(), ready_.end(), static_cast<std::uint32_t>(i)), ready_.end());
        --count;
      }
    }
  }

  [[nodiscard]] std::int32_t live_pods() const {
    std::int32_t n = 0;
    for (const auto& r : pods_) n += r.removed ? 0 : 1;
    return n;
  }

  // metrics-server: CPU over the last window per pod; a pod gets its first
  // metric once it has been ready for a whole window.
  void scrape() {
    const TimePoint now = sim_->now();
    for (auto& r : pods_) {
      if (r.removed) continue;
      const std::int64_t cpu = cpu_ns(r);
      if (r.ready_at != TimePoint::max() && now - r.ready_at >= spec_.metrics_resolution()) {
        r.usage = CpuQuantity::average_usage(Duration::nanoseconds(cpu - r.cpu_at_scrape), now - last_scrape_);
        r.metric_at = now;
      }
      r.cpu_at_scrape = cpu;
    }
    last_scrape_ = now;
    refresh_next_event();
  }

  void sync() {
    next_sync_ = sim_->now() + spec_.hpa->sync_period;
    sync_pods();
    refresh_next_event();
  }
  void sync_pods() {
    if (down_) return;  // no Deployment to scale
    samples_buf_.clear();
    for (const auto& r : pods_) {
      if (r.removed) continue;
      HpaPodSample s;
      s.request = spec_.cpu_request;
      s.has_metric = r.usage.has_value();
      s.usage = r.usage.value_or(CpuQuantity{});
      s.ready = r.ready_at != TimePoint::max();
      s.phase = PodPhase::running;
      s.start_time = r.created;
      s.ready_transition_time = s.ready ? r.ready_at : r.created;
      s.metric_timestamp = r.metric_at;
      s.metric_window = spec_.metrics_resolution();
      samples_buf_.push_back(s);
    }
    const std::int32_t current = live_pods();
    const std::int32_t desired = hpa_->recommend(current, samples_buf_, sim_->now());
    desired_ = desired;
    if (desired == current) return;
    if (log_)
      log_->add(sim_->now(), "hpa/" + name_, desired > current ? "scale_up" : "scale_down",
                "replicas " + std::to_string(current) + " -> " + std::to_string(desired) + " (utilisation " +
                    std::to_string(hpa_->status().current_utilization) + " % of request)");
    if (desired > current) {
      for (std::int32_t i = current; i < desired; ++i)
        add_pod(Duration::from_seconds(std::max(0.0, spec_.startup_s.sample(rng_))));
    } else {
      remove_newest(current - desired);
    }
  }

  void sample() {
    DeploymentSample s;
    s.desired = desired_;
    s.ready = static_cast<std::int32_t>(ready_.size());
    std::int64_t cpu_delta = 0;
    std::uint32_t busy = 0;
    for (auto& r : pods_) {
      if (r.removed && gateway_.state(r.gateway_pod) == GatewayPodState::terminated && r.cpu_at_sample == cpu_ns(r)) continue;
      const std::int64_t cpu = cpu_ns(r);
      cpu_delta += cpu - r.cpu_at_sample;
      r.cpu_at_sample = cpu;
      s.queue_length += static_cast<std::uint32_t>(gateway_.queue_length(r.gateway_pod));
      busy += gateway_.busy_workers(r.gateway_pod);
    }
    if (s.ready > 0) {
      s.cpu_utilization_pct = 100.0 * static_cast<double>(cpu_delta) * 1e-9 /
                              (static_cast<double>(s.ready) * static_cast<double>(spec_.cpu_request.millicores()) * 1e-3);
      s.busy_share = static_cast<double>(busy) / (static_cast<double>(s.ready) * spec_.pod.workers);
    }
    samples_.push_back(s);
    next_sample_ = sim_->now() + Duration::seconds(1);
    refresh_next_event();
  }

  Simulator* sim_;
  GatewayCapacitySpec spec_;
  std::string name_;
  EventLog* log_;
  std::uint16_t component_ = 0;
  bool down_ = false;
  Gateway gateway_;
  RandomStream rng_;
  std::optional<LocalRateLimit> limiter_;
  std::optional<PerConnectionRateLimit> per_connection_;
  std::optional<HorizontalPodAutoscaler> hpa_;
  std::vector<PodRecord> pods_;
  std::vector<std::uint32_t> ready_;  // indices into pods_, rotation order
  std::uint64_t cursor_ = 0;
  std::size_t cursor_n_ = 0, cursor_mod_ = 0;  // cursor_ % cursor_n_
  std::int32_t desired_ = 0;
  TimePoint last_scrape_;
  TimePoint next_sync_ = TimePoint::max(), next_sample_ = TimePoint::max();
  TimePoint next_event_at_ = TimePoint::max();  // refresh_next_event
  std::vector<HpaPodSample> samples_buf_;
  std::vector<DeploymentSample> samples_;
  std::uint64_t rate_limited_ = 0;
};

}  // namespace drsim
