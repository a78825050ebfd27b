// Specification of the gateway pods: workers, bounded pending queue, start-up,
// draining, client timeouts with wasted work, and CPU accounting.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "drsim/model/gateway.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

TimePoint at(Duration d) { return TimePoint::start() + d; }

struct Completed {
  std::uint32_t request;
  GatewayOutcome outcome;
  Duration latency;
  TimePoint time;
  bool operator==(const Completed&) const = default;
};

// Records every completion with the time it was reported.
struct Recorder {
  Simulator* sim;
  std::vector<Completed> completed;
  void on_done(std::uint32_t request, GatewayOutcome outcome, Duration latency) {
    completed.push_back({request, outcome, latency, sim->now()});
  }
};

GatewayConfig fixed_cost(std::uint32_t workers, Duration cost, std::uint32_t max_pending = 1024) {
  GatewayConfig config;
  config.workers = workers;
  config.service_time = Distribution::constant(cost.seconds_f());
  config.max_pending = max_pending;
  config.startup_time = Duration::zero();
  return config;
}

constexpr auto served = GatewayOutcome::served;
constexpr auto timed_out = GatewayOutcome::client_timeout;

}  // namespace

TEST_CASE("A request on an idle pod is served after its CPU cost", "[gateway]") {
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 10_ms), GatewayCompletion::to(rec));
  gw.add_pod(Duration::zero());
  CHECK(gw.submit(7) == GatewayAdmission::accepted);
  sim.run();
  CHECK(rec.completed == std::vector<Completed>{{7, served, 10_ms, at(10_ms)}});
  CHECK(gw.in_flight() == 0);
}

TEST_CASE("Requests beyond the workers wait in FIFO order, beyond max_pending they get 503 UO", "[gateway]") {
  // 2 workers, 3 pending places, 100 ms each. Six requests at t = 0:
  // 0 and 1 start, 2, 3 and 4 wait, 5 overflows. Then 2 and 3 start at
  // 100 ms and finish at 200 ms, 4 starts at 200 ms and finishes at 300 ms.
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(2, 100_ms, 3), GatewayCompletion::to(rec));
  const auto pod = gw.add_pod(Duration::zero());
  for (std::uint32_t i = 0; i < 5; ++i) CHECK(gw.submit(i) == GatewayAdmission::accepted);
  CHECK(gw.submit(5) == GatewayAdmission::overflow);
  CHECK(gw.busy_workers(pod) == 2);
  CHECK(gw.queue_length(pod) == 3);
  sim.run();
  CHECK(rec.completed == std::vector<Completed>{{0, served, 100_ms, at(100_ms)},
                                                {1, served, 100_ms, at(100_ms)},
                                                {2, served, 200_ms, at(200_ms)},
                                                {3, served, 200_ms, at(200_ms)},
                                                {4, served, 300_ms, at(300_ms)}});
  const auto& stats = gw.stats(pod);
  CHECK(stats.accepted == 5);
  CHECK(stats.overflowed == 1);
  CHECK(stats.served == 5);
  // Waits: 0 + 0 + 100 + 100 + 200 ms.
  CHECK(stats.queue_time == 400_ms);
}

TEST_CASE("A pod takes no traffic until its start-up time has passed", "[gateway]") {
  Simulator sim;
  Recorder rec{&sim, {}};
  GatewayConfig config = fixed_cost(1, 10_ms);
  config.startup_time = 5_s;
  Gateway gw(sim, config, GatewayCompletion::to(rec));
  const auto pod = gw.add_pod();
  CHECK(gw.state(pod) == GatewayPodState::starting);
  CHECK(gw.submit(1) == GatewayAdmission::no_ready_pod);
  CHECK(gw.submit_to(pod, 1) == GatewayAdmission::no_ready_pod);
  sim.run_until(at(4999_ms));
  CHECK(gw.ready_pod_count() == 0);
  sim.run_until(at(5_s));
  CHECK(gw.state(pod) == GatewayPodState::ready);
  CHECK(gw.submit(2) == GatewayAdmission::accepted);
}

TEST_CASE("Requests are spread round-robin over the ready pods", "[gateway]") {
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 10_ms), GatewayCompletion::to(rec));
  for (int i = 0; i < 3; ++i) gw.add_pod(Duration::zero());
  for (std::uint32_t i = 0; i < 9; ++i) gw.submit(i);
  for (Gateway::PodId pod = 0; pod < 3; ++pod) CHECK(gw.stats(pod).accepted == 3);
}

TEST_CASE("A removed pod takes no new requests, drains the ones it holds, then terminates", "[gateway]") {
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 1_s), GatewayCompletion::to(rec));
  const auto leaving = gw.add_pod(Duration::zero());
  const auto staying = gw.add_pod(Duration::zero());
  for (std::uint32_t i = 0; i < 3; ++i) gw.submit_to(leaving, i);

  sim.run_until(at(500_ms));
  gw.remove_pod(leaving);
  CHECK(gw.state(leaving) == GatewayPodState::draining);
  CHECK(gw.submit_to(leaving, 99) == GatewayAdmission::no_ready_pod);
  CHECK(gw.ready_pod_count() == 1);
  for (std::uint32_t i = 10; i < 14; ++i) gw.submit(i);  // all to the remaining pod
  CHECK(gw.stats(staying).accepted == 4);

  // The three held requests finish at 1, 2 and 3 s; then the pod is gone.
  sim.run_until(at(2500_ms));
  CHECK(gw.state(leaving) == GatewayPodState::draining);
  sim.run_until(at(3_s));
  CHECK(gw.state(leaving) == GatewayPodState::terminated);
  CHECK(gw.stats(leaving).served == 3);

  SECTION("a pod removed while starting never becomes ready") {
    const auto late = gw.add_pod(10_s);
    gw.remove_pod(late);
    CHECK(gw.state(late) == GatewayPodState::terminated);
    sim.run_until(at(20_s));
    CHECK(gw.state(late) == GatewayPodState::terminated);
    CHECK(gw.ready_pod_count() == 1);
  }
}

TEST_CASE("A client timeout is reported at the timeout, and the abandoned request's work is still done", "[gateway]") {
  // One worker, 1 s per request. A waits 10 s; B gives up after 1.5 s; C gives
  // up after 0.5 s while still queued behind B.
  //   A: 0 -> 1 s, served (latency 1 s)
  //   B: starts at 1 s, client leaves at 1.5 s, work ends at 2 s (wasted)
  //   C: client leaves at 0.5 s, yet starts at 2 s and ends at 3 s (wasted)
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 1_s), GatewayCompletion::to(rec));
  const auto pod = gw.add_pod(Duration::zero());
  gw.submit(0, 10_s);
  gw.submit(1, 1500_ms);
  gw.submit(2, 500_ms);
  sim.run();
  CHECK(rec.completed == std::vector<Completed>{{2, timed_out, 500_ms, at(500_ms)},
                                                {0, served, 1_s, at(1_s)},
                                                {1, timed_out, 1500_ms, at(1500_ms)}});
  // Nobody waits any more, yet the pod keeps working until 3 s.
  sim.run_until(at(2500_ms));
  CHECK(gw.busy_workers(pod) == 1);
  CHECK(gw.in_flight() == 1);
  CHECK(gw.cpu_time(pod) == 2500_ms);
  sim.run_until(at(3_s));
  const auto& stats = gw.stats(pod);
  CHECK(stats.served == 1);
  CHECK(stats.abandoned == 2);
  CHECK(stats.wasted == 2);
  CHECK(stats.wasted_cpu_time == 2_s);
  CHECK(gw.cpu_time(pod) == 3_s);
  CHECK(gw.in_flight() == 0);
}

TEST_CASE("An accepted request costs one event: its end, or its client's timeout when that comes first", "[gateway]") {
  // One worker per pod, 1 s per request. The pod plans each request when it
  // takes it, so neither a start, nor a cancelled timeout, nor an abandoned
  // request's end needs an event.
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 1_s), GatewayCompletion::to(rec));
  const auto a = gw.add_pod(Duration::zero());
  const auto b = gw.add_pod(Duration::zero());
  const auto c = gw.add_pod(Duration::zero());
  gw.submit_to(a, 0, 5_s);  // done before the client gives up: only its completion is scheduled
  CHECK(sim.pending_events() == 1);
  gw.submit_to(b, 1, 1_s);  // the client gives up as the work ends: the client's timeout comes first
  gw.submit_to(c, 2, 500_ms);
  CHECK(sim.pending_events() == 3);
  sim.run();
  // At 1 s in scheduling order: A's completion, then B's timeout (B's work ends then too, wasted).
  CHECK(rec.completed == std::vector<Completed>{{2, timed_out, 500_ms, at(500_ms)},
                                                {0, served, 1_s, at(1_s)},
                                                {1, timed_out, 1_s, at(1_s)}});
}

TEST_CASE("CPU time integrates the busy workers over time", "[gateway]") {
  // 2 workers, 1 s per request, 3 requests at t = 0: two busy on [0, 1 s),
  // one busy on [1 s, 2 s).
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(2, 1_s), GatewayCompletion::to(rec));
  const auto pod = gw.add_pod(Duration::zero());
  for (std::uint32_t i = 0; i < 3; ++i) gw.submit(i);
  sim.run_until(at(500_ms));
  CHECK(gw.cpu_time(pod) == 1_s);  // 2 workers x 0.5 s
  sim.run_until(at(1500_ms));
  CHECK(gw.cpu_time(pod) == 2500_ms);  // 2 x 1 s + 1 x 0.5 s
  sim.run_until(at(4_s));
  CHECK(gw.cpu_time(pod) == 3_s);
  // Utilisation over [0, 4 s): 3 s / (2 workers x 4 s) = 0.375.
  CHECK(gw.cpu_time(pod).seconds_f() / (2 * 4.0) == Approx(0.375));
  CHECK(gw.total_cpu_time() == 3_s);
}

TEST_CASE("A client that submits again from on_done queues behind requests already waiting", "[gateway]") {
  // One worker, 1 s each. A is served, X waits. When A completes, the
  // closed-loop client sends Y at once: X must take the free worker first.
  struct ClosedLoop {
    Gateway* gw = nullptr;
    std::vector<std::uint32_t> order;
    void on_done(std::uint32_t request, GatewayOutcome, Duration) {
      order.push_back(request);
      if (request == 0) gw->submit(2);
    }
  } client;
  Simulator sim;
  Gateway gw(sim, fixed_cost(1, 1_s), GatewayCompletion::to(client));
  client.gw = &gw;
  gw.add_pod(Duration::zero());
  gw.submit(0);  // A
  gw.submit(1);  // X
  sim.run();
  CHECK(client.order == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(sim.now() == at(3_s));
}

TEST_CASE("Request slots are recycled, so steady traffic does not grow the pool", "[gateway]") {
  // One worker, 10 ms per request, a request every 20 ms for 10 s (each with
  // a 1 s timeout): at most one in flight, so 500 requests pass through the
  // same slot, and every timeout is cancelled when its request completes.
  struct SteadyClient {
    Gateway* gw = nullptr;
    std::uint32_t sent = 0;
    std::size_t max_in_flight = 0;
    void send() {
      if (sent == 500) return;
      gw->submit(sent++, 1_s);
      max_in_flight = std::max(max_in_flight, gw->in_flight());
    }
  };
  Simulator sim;
  Recorder rec{&sim, {}};
  Gateway gw(sim, fixed_cost(1, 10_ms), GatewayCompletion::to(rec));
  gw.add_pod(Duration::zero());
  SteadyClient client{&gw};
  auto* c = &client;
  const auto sender = sim.every_from(TimePoint::start(), 20_ms, [c] { c->send(); });
  sim.run_until(at(10_s));
  sim.cancel(sender);
  sim.run();
  CHECK(client.sent == 500);
  CHECK(rec.completed.size() == 500);
  CHECK(client.max_in_flight == 1);
  CHECK(gw.total_stats().served == 500);
  CHECK(sim.pending_events() == 0);
}

TEST_CASE("Gateway events carry their kind and the gateway's component into the run fingerprint", "[gateway]") {
  // Same traffic, same seed: only the component differs.
  auto fingerprint = [](std::uint16_t component) {
    Simulator sim(5);
    Recorder rec{&sim, {}};
    Gateway gw(sim, fixed_cost(1, 10_ms), GatewayCompletion::to(rec), "gateway", component);
    gw.add_pod(1_s);
    sim.run_until(at(1_s));
    for (std::uint32_t i = 0; i < 3; ++i) gw.submit(i, 15_ms);
    sim.run();
    return sim.fingerprint();
  };
  CHECK(fingerprint(3) == fingerprint(3));
  CHECK(fingerprint(3) != fingerprint(4));
}

TEST_CASE("A planning gateway answers each request at once with its start, end and whether its client waits", "[gateway]") {
  // 2 workers, 100 ms each, at most 1 waiting: the plan is the multi-server
  // FIFO queue's (Lindley) recursion, with no event at all.
  Simulator sim;
  Gateway gw(sim, fixed_cost(2, 100_ms, 1), "gateway", 0);
  const auto pod = gw.add_pod(Duration::zero());
  const GatewayPlan a = gw.plan_to(pod, at(0_ms), 1_s);
  const GatewayPlan b = gw.plan_to(pod, at(10_ms), 1_s);
  const GatewayPlan c = gw.plan_to(pod, at(20_ms), 150_ms);  // waits for a's worker, done at 200 ms: gives up at 170 ms
  const GatewayPlan d = gw.plan_to(pod, at(30_ms), 1_s);     // the one waiting place is taken
  const GatewayPlan e = gw.plan_to(pod, at(150_ms), 1_s);    // c has started and b's worker is free: e starts at once
  CHECK(sim.pending_events() == 0);
  CHECK((a.admission == GatewayAdmission::accepted && a.start == at(0_ms) && a.done == at(100_ms) && !a.abandoned));
  CHECK((b.start == at(10_ms) && b.done == at(110_ms)));
  CHECK((c.start == at(100_ms) && c.done == at(200_ms) && c.abandoned));
  CHECK(d.admission == GatewayAdmission::overflow);
  CHECK((e.admission == GatewayAdmission::accepted && e.start == at(150_ms) && e.done == at(250_ms)));
  CHECK(gw.stats(pod).queue_time == 80_ms);  // c waited 80 ms, the others not at all
  CHECK(gw.stats(pod).wasted == 1);
  sim.run_until(at(160_ms));
  CHECK(gw.busy_workers(pod) == 2);  // c and e
  CHECK(gw.queue_length(pod) == 0);
  CHECK(gw.cpu_time(pod) == 270_ms);  // a 100 + b 100 + c 60 + e 10
  CHECK_THROWS_AS(gw.submit(9), std::invalid_argument);  // no completion to report through
}

TEST_CASE("Gateway configuration errors are reported", "[gateway]") {
  Simulator sim;
  Recorder rec{&sim, {}};
  GatewayConfig config = fixed_cost(0, 1_ms);
  CHECK_THROWS_AS(Gateway(sim, config, GatewayCompletion::to(rec)), std::invalid_argument);
  CHECK_THROWS_AS(Gateway(sim, fixed_cost(1, 1_ms), GatewayCompletion{}), std::invalid_argument);
}
