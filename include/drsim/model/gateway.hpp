// Ingress gateway pods as a multi-server queue on the simulator.
//
// Each pod has `workers` servers (Envoy's --concurrency: requests it works on
// at once) and a bounded FIFO of pending requests; a request that finds the
// queue full is refused with 503 (response flag UO, circuit-breaker overflow).
// A request's CPU cost is drawn from `service_time` when the pod takes it.
// A new pod takes traffic only once its start-up time has passed; a removed
// pod takes no new requests, finishes the ones it holds, then terminates.
//
// Clients give up at their timeout. The gateway does not learn that the
// client left: the request keeps its place in the queue and its worker, and
// its CPU is spent for nothing (wasted work), which is what makes an
// overloaded gateway collapse rather than merely saturate.
//
// Why a request's whole fate is known when the pod takes it: the queue is
// FIFO over identical workers and nothing a client does reaches the pod
// afterwards (an abandoned request still runs). So the request starts when
// the earliest worker is free (or at once) and ends its cost later, the
// multi-server Lindley recursion; a worker's assigned work after any instant
// is one contiguous block ending at its `free_at`. Everything the pod is
// asked about later follows from those times: busy workers (free_at after
// now), the queue (requests whose start is after now; starts never decrease
// in FIFO order), CPU used (costs assigned minus the work still ahead), a
// draining pod's end. No event marks a start or an end.
//
// Two ways to use it: `plan_to` answers at once with the request's start, end
// and whether its client gives up first (the request path needs no event at
// all: see GatewayDeployment and FailoverModel); `submit` / `submit_to` do
// the same and report the outcome through the completion, one event per
// request (its end, or its client's timeout when that comes first). Either
// way the request path allocates nothing once the queues have grown.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drsim/core/error.hpp"
#include "drsim/core/pool.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/model/event_kinds.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

/// Parameters shared by every pod of a gateway Deployment.
struct GatewayConfig {
  /// Requests a pod works on at once (Envoy worker threads, one CPU each).
  std::uint32_t workers = 2;
  /// CPU seconds one request costs; negative draws count as zero.
  Distribution service_time = Distribution::exponential(0.002);
  /// Requests a pod holds beyond its busy workers before refusing with 503
  /// UO. Envoy's circuit-breaker default is 1024; Istio lifts it to
  /// 4294967295 unless a DestinationRule sets it.
  std::uint32_t max_pending = 1024;
  /// From scheduling to Ready (anecdotally 5-10 s, outliers of a minute).
  Duration startup_time = Duration::seconds(5);

  void validate() const {
    if (workers < 1) throw ParameterError("gateway: workers must be at least 1");
    if (startup_time.is_negative()) throw ParameterError("gateway: startup_time must not be negative");
  }
};

/// What happens to a request when it reaches the gateway.
enum class GatewayAdmission : std::uint8_t {
  accepted,      ///< taken by a pod; exactly one completion will follow
  overflow,      ///< the pod's pending queue is full: 503, response flag UO
  no_ready_pod,  ///< nothing ready to take it (the caller decides what the client sees)
};

/// How an accepted request ended, as reported through the completion.
enum class GatewayOutcome : std::uint8_t {
  served,          ///< a worker finished it
  client_timeout,  ///< the client gave up first; the pod still does the work
};

enum class GatewayPodState : std::uint8_t {
  starting,    ///< scheduled, not ready yet: takes no traffic
  ready,       ///< in the rotation
  draining,    ///< removed: takes no new requests, finishes what it holds
  terminated,  ///< gone
};

/// Counters of one pod (or, summed, of the Deployment).
struct GatewayPodStats {
  std::uint64_t accepted = 0;    ///< requests taken
  std::uint64_t overflowed = 0;  ///< refused with 503 UO
  std::uint64_t started = 0;     ///< requests a worker took up
  std::uint64_t served = 0;      ///< completed for a client still waiting
  std::uint64_t abandoned = 0;   ///< reported client_timeout
  std::uint64_t wasted = 0;      ///< completed after the client had gone
  Duration queue_time;           ///< summed wait for a worker, over started requests
  Duration wasted_cpu_time;      ///< CPU spent on requests nobody waited for

  GatewayPodStats& operator+=(const GatewayPodStats& o) {
    accepted += o.accepted;
    overflowed += o.overflowed;
    started += o.started;
    served += o.served;
    abandoned += o.abandoned;
    wasted += o.wasted;
    queue_time += o.queue_time;
    wasted_cpu_time += o.wasted_cpu_time;
    return *this;
  }
};

/// Where the gateway reports each accepted request's outcome: a function
/// pointer and its context, so a report is one indirect call and never
/// allocates. `latency` runs from submission to the outcome.
struct GatewayCompletion {
  void* context = nullptr;
  void (*on_done)(void* context, std::uint32_t request, GatewayOutcome outcome, Duration latency) = nullptr;

  /// Reports to `receiver.on_done(request, outcome, latency)`.
  template <class Receiver>
  static GatewayCompletion to(Receiver& receiver) {
    return {&receiver, [](void* c, std::uint32_t request, GatewayOutcome outcome, Duration latency) {
              static_cast<Receiver*>(c)->on_done(request, outcome, latency);
            }};
  }
  void operator()(std::uint32_t request, GatewayOutcome outcome, Duration latency) const {
    on_done(context, request, outcome, latency);
  }
};

/// A request the pod took, as planned when it arrived.
struct GatewayPlan {
  TimePoint start;           ///< a worker takes it up
  TimePoint done;            ///< the worker is finished with it
  GatewayAdmission admission = GatewayAdmission::no_ready_pod;
  bool abandoned = false;    ///< the client gives up (at arrival + timeout) before `done`
};

namespace detail {
/// FIFO of 64-bit values in a power-of-two ring that doubles when full and
/// never shrinks, so a queue at its working size pushes and pops for free.
class TimeRing {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::int64_t front() const { return buf_[head_]; }
  /// The i-th value from the back (0: the newest).
  [[nodiscard]] std::int64_t from_back(std::size_t i) const { return buf_[(head_ + size_ - 1 - i) & (buf_.size() - 1)]; }
  void push(std::int64_t v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  void pop() {
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }
  /// Room for n values before the next allocation.
  void reserve(std::size_t n) {
    while (buf_.size() < n) grow();
  }

 private:
  void grow() {
    std::vector<std::int64_t> bigger(std::max<std::size_t>(16, buf_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<std::int64_t> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};
}  // namespace detail

/// The pods of one gateway Deployment behind one Service.
class Gateway {
 public:
  using RequestId = std::uint32_t;  ///< the caller's name for a request, echoed in the completion
  using PodId = std::uint32_t;      ///< index of a pod, in order of add_pod

  /// Event kinds in the run fingerprint; the component is the constructor's `component`.
  static constexpr EventKind kPodReadyEvent = EventKind::gateway_pod_ready;
  static constexpr EventKind kRequestDoneEvent = EventKind::gateway_request_done;
  static constexpr EventKind kClientTimeoutEvent = EventKind::gateway_client_timeout;

  /// Service times come from the simulator's stream `stream_name`;
  /// `component` tells this gateway's events apart from another's in the fingerprint.
  Gateway(Simulator& sim, GatewayConfig config, GatewayCompletion completion, std::string_view stream_name = "gateway",
          std::uint16_t component = 0)
      : Gateway(sim, std::move(config), stream_name, component) {
    if (completion.on_done == nullptr) throw ParameterError("gateway: a completion function is required");
    completion_ = completion;
  }
  /// A gateway whose caller plans every request itself (plan_to) and needs no completion.
  Gateway(Simulator& sim, GatewayConfig config, std::string_view stream_name, std::uint16_t component)
      : sim_(sim), config_(std::move(config)), rng_(sim.stream(stream_name)), component_(component) {
    config_.validate();
  }
  // Scheduled events point at this object.
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Schedules a pod that becomes ready after the configured start-up time.
  PodId add_pod() { return add_pod(config_.startup_time); }
  /// Schedules a pod that becomes ready after `startup` (zero: ready now).
  PodId add_pod(Duration startup) {
    if (startup.is_negative()) throw ParameterError("gateway: start-up time must not be negative");
    const auto pod = static_cast<PodId>(pods_.size());
    pods_.emplace_back();
    pods_.back().queue.reserve(reserved_);
    free_at_.resize(free_at_.size() + config_.workers, TimePoint::start().ns());
    if (startup == Duration::zero()) {
      mark_ready(pod);
    } else {
      pods_.back().startup = sim_.after(startup, [this, pod] { mark_ready(pod); }, tag(kPodReadyEvent));
    }
    return pod;
  }

  /// Takes the pod out of the rotation. It finishes the requests it holds
  /// and then terminates; a pod still starting terminates at once.
  void remove_pod(PodId pod) {
    Pod& p = pods_.at(pod);
    switch (p.state) {
      case GatewayPodState::starting:
        sim_.cancel(p.startup);
        p.state = GatewayPodState::terminated;
        break;
      case GatewayPodState::ready:
        ready_.erase(std::find(ready_.begin(), ready_.end(), pod));
        p.state = GatewayPodState::draining;
        break;
      case GatewayPodState::draining:
      case GatewayPodState::terminated:
        break;
    }
  }

  /// Routes a request round-robin over the ready pods. `timeout`: how long
  /// the client waits (Duration::max(): for ever).
  GatewayAdmission submit(RequestId request, Duration timeout = Duration::max()) {
    if (ready_.empty()) return GatewayAdmission::no_ready_pod;
    const PodId pod = ready_[next_ % ready_.size()];
    ++next_;
    return submit_to(pod, request, timeout);
  }

  /// Sends a request to one pod (a caller doing its own balancing). A pod
  /// that is not ready refuses it. An accepted request's outcome comes
  /// through the completion: served when its worker is done, client_timeout
  /// at `timeout` when that comes first (the work is still done, unreported).
  GatewayAdmission submit_to(PodId pod, RequestId request, Duration timeout = Duration::max()) {
    if (completion_.on_done == nullptr) throw ParameterError("gateway: submit needs a completion (this gateway only plans)");
    const TimePoint now = sim_.now();
    const GatewayPlan plan = plan_to(pod, now, timeout);
    if (plan.admission != GatewayAdmission::accepted) return plan.admission;
    const GatewayOutcome outcome = plan.abandoned ? GatewayOutcome::client_timeout : GatewayOutcome::served;
    const TimePoint when = plan.abandoned ? now + timeout : plan.done;
    const Duration latency = when - now;
    sim_.at(when, [this, request, outcome, latency] { completion_(request, outcome, latency); },
            tag(plan.abandoned ? kClientTimeoutEvent : kRequestDoneEvent));
    return GatewayAdmission::accepted;
  }

  /// The pod takes a request arriving at `at` (no earlier than any request
  /// it took before, and with nothing else due at the pod in between: the
  /// caller's simulator time, or a time it knows no event precedes) and says
  /// at once when it starts, when it ends and whether its client, waiting
  /// `timeout`, gives up first. No event is scheduled.
  GatewayPlan plan_to(PodId pod, TimePoint at, Duration timeout = Duration::max()) {
    GatewayPlan plan;
    plan_into(pod, at, timeout, plan);
    return plan;
  }
  /// plan_to, writing into `plan` (the request path's form: a plan returned
  /// by value and copied on is read back wider than it was written, which
  /// stalls store forwarding).
  void plan_into(PodId pod, TimePoint at, Duration timeout, GatewayPlan& plan) {
    Pod& p = pods_[pod];
    plan.abandoned = false;
    plan.admission = GatewayAdmission::no_ready_pod;
    if (p.state != GatewayPodState::ready) return;
    const std::int64_t t = at.ns();
    // The requests that were waiting and have started by now leave the queue.
    while (!p.queue.empty() && p.queue.front() <= t) p.queue.pop();
    std::int64_t* workers = &free_at_[static_cast<std::size_t>(pod) * config_.workers];
    std::uint32_t w = 0;
    for (std::uint32_t i = 1; i < config_.workers; ++i)
      if (workers[i] < workers[w]) w = i;
    const bool worker_free = workers[w] <= t;
    if (!worker_free && p.queue.size() >= config_.max_pending) {
      ++p.stats.overflowed;
      plan.admission = GatewayAdmission::overflow;
      return;
    }
    const Duration cost = sample_cost();
    const std::int64_t start = worker_free ? t : workers[w];
    if (!worker_free) p.queue.push(start);
    workers[w] = start + cost.ns();
    p.assigned_cpu_ns += cost.ns();
    plan.admission = GatewayAdmission::accepted;
    plan.start = TimePoint::from_ns(start);
    plan.done = TimePoint::from_ns(workers[w]);
    // A client that gives up the instant the work ends has given up (its timer fires first).
    plan.abandoned = timeout < Duration::max() && plan.done >= at + timeout;
    ++p.stats.accepted;
    ++p.stats.started;
    p.stats.queue_time += plan.start - at;
    if (plan.abandoned) {
      ++p.stats.abandoned;
      ++p.stats.wasted;
      p.stats.wasted_cpu_time += cost;
    } else {
      ++p.stats.served;
    }
  }

  [[nodiscard]] std::size_t pod_count() const { return pods_.size(); }
  [[nodiscard]] std::size_t ready_pod_count() const { return ready_.size(); }
  /// A removed pod is draining until its last request ends, then terminated.
  [[nodiscard]] GatewayPodState state(PodId pod) const {
    const Pod& p = pods_.at(pod);
    if (p.state == GatewayPodState::draining && busy_workers(pod) == 0) return GatewayPodState::terminated;
    return p.state;
  }
  [[nodiscard]] std::uint32_t busy_workers(PodId pod) const {
    const std::int64_t now = sim_.now().ns();
    std::uint32_t busy = 0;
    for (const std::int64_t f : workers_of(pod)) busy += f > now ? 1 : 0;
    return busy;
  }
  /// Requests waiting for a worker now.
  [[nodiscard]] std::size_t queue_length(PodId pod) const {
    const detail::TimeRing& q = pods_.at(pod).queue;
    const std::int64_t now = sim_.now().ns();
    std::size_t n = 0;
    while (n < q.size() && q.from_back(n) > now) ++n;
    return n;
  }
  /// Requests accepted whose work is not done yet (abandoned ones included):
  /// one on each busy worker and the queue.
  [[nodiscard]] std::size_t in_flight() const {
    std::size_t n = 0;
    for (PodId i = 0; i < pods_.size(); ++i) n += busy_workers(i) + queue_length(i);
    return n;
  }

  /// CPU the pod has used from its creation up to now: the costs assigned
  /// minus the work still ahead of its workers.
  [[nodiscard]] Duration cpu_time(PodId pod) const {
    const std::int64_t now = sim_.now().ns();
    std::int64_t ahead = 0;
    for (const std::int64_t f : workers_of(pod)) ahead += f > now ? f - now : 0;
    return Duration::nanoseconds(pods_.at(pod).assigned_cpu_ns - ahead);
  }
  /// CPU of every pod, terminated ones included.
  [[nodiscard]] Duration total_cpu_time() const {
    Duration total;
    for (PodId i = 0; i < pods_.size(); ++i) total += cpu_time(i);
    return total;
  }
  /// Counters of the requests the pod took, each counted when taken (so a
  /// request still in flight counts as served or wasted as planned).
  [[nodiscard]] const GatewayPodStats& stats(PodId pod) const { return pods_.at(pod).stats; }
  [[nodiscard]] GatewayPodStats total_stats() const {
    GatewayPodStats total;
    for (const Pod& p : pods_) total += p.stats;
    return total;
  }
  [[nodiscard]] const GatewayConfig& config() const { return config_; }

  /// Pre-sizes every pod's queue (now and later ones) for `requests` waiting
  /// at once, so that nothing allocates below that.
  void reserve(std::size_t requests) {
    reserved_ = std::min<std::size_t>(requests, config_.max_pending);
    for (Pod& p : pods_) p.queue.reserve(reserved_);
  }

 private:
  struct Pod {
    GatewayPodState state = GatewayPodState::starting;
    detail::TimeRing queue;  // start times (ns) of requests that had to wait, in FIFO order
    EventHandle startup;
    std::int64_t assigned_cpu_ns = 0;  // costs of every request taken
    GatewayPodStats stats;
  };

  struct WorkerSpan {
    const std::int64_t* b;
    const std::int64_t* e;
    [[nodiscard]] const std::int64_t* begin() const { return b; }
    [[nodiscard]] const std::int64_t* end() const { return e; }
  };
  [[nodiscard]] WorkerSpan workers_of(PodId pod) const {
    const std::int64_t* w = &free_at_.at(static_cast<std::size_t>(pod) * config_.workers);
    return {w, w + config_.workers};
  }

  [[nodiscard]] EventTag tag(EventKind kind) const { return drsim::tag(kind, component_); }

  Duration sample_cost() {
    const double cost_s = config_.service_time.sample(rng_);
    return cost_s > 0 ? Duration::from_seconds(cost_s) : Duration::zero();
  }

  void mark_ready(PodId pod) {
    pods_[pod].state = GatewayPodState::ready;
    pods_[pod].startup = EventHandle{};
    ready_.push_back(pod);
  }

  Simulator& sim_;
  GatewayConfig config_;
  GatewayCompletion completion_;
  RandomStream rng_;
  std::uint16_t component_;
  std::vector<Pod> pods_;
  std::vector<std::int64_t> free_at_;  // pod x worker: when the worker's assigned work ends (ns)
  std::vector<PodId> ready_;  // rotation order
  std::uint64_t next_ = 0;    // round-robin cursor
  std::size_t reserved_ = 0;  // queue room every pod gets (reserve)
};

}  // namespace drsim
