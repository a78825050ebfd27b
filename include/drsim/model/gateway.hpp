// Ingress gateway pods as a multi-server queue on the simulator.
//
// Each pod has `workers` servers (Envoy's --concurrency: requests it works on
// at once) and a bounded FIFO of pending requests; a request that finds the
// queue full is refused with 503 (response flag UO, circuit-breaker overflow).
// A request's CPU cost is drawn from `service_time` when a worker takes it.
// A new pod takes traffic only once its start-up time has passed; a removed
// pod takes no new requests, finishes the ones it holds, then terminates.
//
// Clients give up at their timeout. The gateway then reports the request as
// `client_timeout` at that instant, but does not learn that the client left:
// the request keeps its place in the queue and its worker, and its CPU is
// spent for nothing (wasted work), which is what makes an overloaded gateway
// collapse rather than merely saturate.
//
// Per-pod CPU accounting integrates the number of busy workers over time, so
// cpu_time() / (workers x elapsed) is the utilisation and the difference of
// two cpu_time() readings over a scrape window is what metrics-server reports
// to the HPA.
//
// Hot path: per-request state lives in a pooled vector of slots recycled
// through a free list, pending queues are rings that only grow, events
// capture `this` and a slot index, and outcomes go through one function
// pointer. Once the pools have grown to the working size nothing allocates.
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

namespace detail {
/// FIFO of 32-bit indices in a power-of-two ring that doubles when full and
/// never shrinks, so a queue at its working size pushes and pops for free.
class IndexRing {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  void push(std::uint32_t v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  std::uint32_t pop() {
    const std::uint32_t v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(std::max<std::size_t>(16, buf_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<std::uint32_t> buf_;
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
      : sim_(sim),
        config_(std::move(config)),
        completion_(completion),
        rng_(sim.stream(stream_name)),
        component_(component) {
    config_.validate();
    if (completion_.on_done == nullptr) throw ParameterError("gateway: a completion function is required");
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
    pods_.back().accounted_at = sim_.now();
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
        terminate_if_drained(p);
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
  /// that is not ready refuses it.
  GatewayAdmission submit_to(PodId pod, RequestId request, Duration timeout = Duration::max()) {
    Pod& p = pods_.at(pod);
    if (p.state != GatewayPodState::ready) return GatewayAdmission::no_ready_pod;
    const bool worker_free = p.busy < config_.workers;
    if (!worker_free && p.queue.size() >= config_.max_pending) {
      ++p.stats.overflowed;
      return GatewayAdmission::overflow;
    }
    ++p.stats.accepted;
    const std::uint32_t slot = allocate_slot(request, pod);
    if (worker_free) {
      // The request starts now and its service time is known, so the client's
      // timeout needs an event only when it comes first: a timeout cancelled
      // on completion would sit in the event queue until its time, one per
      // request (a drill's queue held ~300 of them, 100/s x fortio's 3 s).
      const Duration cost = sample_cost();
      if (cost >= timeout) watch_timeout(slot, timeout);
      start(p, slot, cost);
    } else {
      watch_timeout(slot, timeout);
      p.queue.push(slot);
    }
    return GatewayAdmission::accepted;
  }

  [[nodiscard]] std::size_t pod_count() const { return pods_.size(); }
  [[nodiscard]] std::size_t ready_pod_count() const { return ready_.size(); }
  [[nodiscard]] GatewayPodState state(PodId pod) const { return pods_.at(pod).state; }
  [[nodiscard]] std::uint32_t busy_workers(PodId pod) const { return pods_.at(pod).busy; }
  [[nodiscard]] std::size_t queue_length(PodId pod) const { return pods_.at(pod).queue.size(); }
  /// Requests accepted and not yet completed by a worker (abandoned ones included).
  [[nodiscard]] std::size_t in_flight() const { return slots_.live(); }

  /// CPU the pod has used from its creation up to now.
  [[nodiscard]] Duration cpu_time(PodId pod) const {
    const Pod& p = pods_.at(pod);
    return Duration::nanoseconds(p.cpu_ns + static_cast<std::int64_t>(p.busy) * (sim_.now() - p.accounted_at).ns());
  }
  /// CPU of every pod, terminated ones included.
  [[nodiscard]] Duration total_cpu_time() const {
    Duration total;
    for (PodId i = 0; i < pods_.size(); ++i) total += cpu_time(i);
    return total;
  }
  [[nodiscard]] const GatewayPodStats& stats(PodId pod) const { return pods_.at(pod).stats; }
  [[nodiscard]] GatewayPodStats total_stats() const {
    GatewayPodStats total;
    for (const Pod& p : pods_) total += p.stats;
    return total;
  }
  [[nodiscard]] const GatewayConfig& config() const { return config_; }

  /// Pre-sizes the request pool for `requests` in flight at once.
  void reserve(std::size_t requests) { slots_.reserve(requests); }

 private:
  struct Pod {
    GatewayPodState state = GatewayPodState::starting;
    std::uint32_t busy = 0;
    detail::IndexRing queue;  // slots waiting for a worker
    EventHandle startup;
    std::int64_t cpu_ns = 0;  // busy-worker integral up to accounted_at
    TimePoint accounted_at;
    GatewayPodStats stats;
  };

  struct RequestSlot {
    RequestId request = 0;
    PodId pod = 0;
    TimePoint arrival;
    Duration cost;
    EventHandle timeout;
    bool abandoned = false;
  };

  [[nodiscard]] EventTag tag(EventKind kind) const { return drsim::tag(kind, component_); }

  std::uint32_t allocate_slot(RequestId request, PodId pod) {
    const std::uint32_t slot = slots_.acquire();
    RequestSlot& r = slots_[slot];
    r.request = request;
    r.pod = pod;
    r.arrival = sim_.now();
    r.timeout = EventHandle{};
    r.abandoned = false;
    return slot;
  }

  void release_slot(std::uint32_t slot) { slots_.release(slot); }

  // Brings the pod's busy-worker integral up to now; call before `busy` changes.
  void account(Pod& p) {
    const TimePoint now = sim_.now();
    p.cpu_ns += static_cast<std::int64_t>(p.busy) * (now - p.accounted_at).ns();
    p.accounted_at = now;
  }

  void watch_timeout(std::uint32_t slot, Duration timeout) {
    if (timeout < Duration::max())
      slots_[slot].timeout = sim_.after(timeout, [this, slot] { abandon(slot); }, tag(kClientTimeoutEvent));
  }

  Duration sample_cost() {
    const double cost_s = config_.service_time.sample(rng_);
    return cost_s > 0 ? Duration::from_seconds(cost_s) : Duration::zero();
  }

  void start(Pod& p, std::uint32_t slot, Duration cost) {
    account(p);
    ++p.busy;
    RequestSlot& r = slots_[slot];
    r.cost = cost;
    ++p.stats.started;
    p.stats.queue_time += sim_.now() - r.arrival;
    sim_.after(r.cost, [this, slot] { finish(slot); }, tag(kRequestDoneEvent));
  }

  void finish(std::uint32_t slot) {
    const RequestSlot r = slots_[slot];
    Pod& p = pods_[r.pod];
    account(p);
    --p.busy;
    if (r.abandoned) {
      ++p.stats.wasted;
      p.stats.wasted_cpu_time += r.cost;
    } else {
      if (r.timeout.valid()) sim_.cancel(r.timeout);
      ++p.stats.served;
    }
    release_slot(slot);
    // The next queued request takes the worker before the completion runs,
    // so a client that submits again from on_done queues behind it (FIFO).
    if (!p.queue.empty()) start(p, p.queue.pop(), sample_cost());
    terminate_if_drained(p);
    if (!r.abandoned) completion_(r.request, GatewayOutcome::served, sim_.now() - r.arrival);
  }

  void abandon(std::uint32_t slot) {
    RequestSlot& r = slots_[slot];
    r.abandoned = true;
    r.timeout = EventHandle{};
    ++pods_[r.pod].stats.abandoned;
    completion_(r.request, GatewayOutcome::client_timeout, sim_.now() - r.arrival);
  }

  void mark_ready(PodId pod) {
    pods_[pod].state = GatewayPodState::ready;
    pods_[pod].startup = EventHandle{};
    ready_.push_back(pod);
  }

  static void terminate_if_drained(Pod& p) {
    if (p.state == GatewayPodState::draining && p.busy == 0 && p.queue.empty()) p.state = GatewayPodState::terminated;
  }

  Simulator& sim_;
  GatewayConfig config_;
  GatewayCompletion completion_;
  RandomStream rng_;
  std::uint16_t component_;
  std::vector<Pod> pods_;
  std::vector<PodId> ready_;  // rotation order
  std::uint64_t next_ = 0;    // round-robin cursor
  IndexPool<RequestSlot> slots_;
};

}  // namespace drsim
