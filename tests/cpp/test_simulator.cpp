#include <catch2/catch.hpp>
#include "drsim/model/event_kinds.hpp"

#include <set>

#include <vector>

#include "drsim/core/simulator.hpp"

using namespace drsim;
using namespace drsim::literals;

TEST_CASE("Events run in time order, ties in the order they were scheduled", "[simulator]") {
  Simulator sim;
  std::vector<int> order;
  auto* o = &order;
  sim.at(TimePoint::start() + 2_s, [o] { o->push_back(3); });
  sim.at(TimePoint::start() + 1_s, [o] { o->push_back(1); });
  sim.at(TimePoint::start() + 1_s, [o] { o->push_back(2); });
  sim.after(2_s, [o] { o->push_back(4); });
  sim.run();
  CHECK(order == std::vector<int>{1, 2, 3, 4});
  CHECK(sim.now() == TimePoint::start() + 2_s);

  SECTION("also for events scheduled from inside an event at the current time") {
    Simulator s2;
    std::vector<int> o2;
    auto* p = &o2;
    auto* sp = &s2;
    s2.at(TimePoint::start() + 1_s, [p, sp] {
      p->push_back(1);
      sp->after(Duration::zero(), [p] { p->push_back(3); });
    });
    s2.at(TimePoint::start() + 1_s, [p] { p->push_back(2); });
    s2.run();
    CHECK(o2 == std::vector<int>{1, 2, 3});
  }
}

TEST_CASE("Ties stay first-in first-out across many interleaved times", "[simulator]") {
  // Mixes times so records move between radix buckets before they tie.
  Simulator sim{3};
  auto rng = sim.stream("test");
  std::vector<std::pair<std::int64_t, int>> fired;
  auto* f = &fired;
  for (int i = 0; i < 5000; ++i) {
    const auto t = static_cast<std::int64_t>(rng.below(50)) * 1'000'000;
    auto* s = &sim;
    sim.at(TimePoint::from_ns(t), [f, s, i] { f->emplace_back(s->now().ns(), i); });
  }
  sim.run();
  REQUIRE(fired.size() == 5000);
  for (std::size_t k = 1; k < fired.size(); ++k) {
    INFO("k = " << k);
    REQUIRE(fired[k - 1].first <= fired[k].first);
    if (fired[k - 1].first == fired[k].first) REQUIRE(fired[k - 1].second < fired[k].second);
  }
}

TEST_CASE("A cancelled event never runs", "[simulator]") {
  Simulator sim;
  int runs = 0;
  auto* r = &runs;
  auto h = sim.after(1_s, [r] { ++*r; });
  CHECK(sim.pending(h));
  CHECK(sim.pending_events() == 1);

  SECTION("cancel before firing") {
    CHECK(sim.cancel(h));
    CHECK_FALSE(sim.pending(h));
    CHECK(sim.pending_events() == 0);
    sim.run();
    CHECK(runs == 0);
    CHECK(sim.executed_events() == 0);
  }
  SECTION("cancel after firing is a no-op that says so") {
    sim.run();
    CHECK(runs == 1);
    CHECK_FALSE(sim.cancel(h));
  }
  SECTION("a recycled slot is not cancelled through an old handle") {
    CHECK(sim.cancel(h));
    auto h2 = sim.after(2_s, [r] { *r += 10; });
    CHECK(h2.slot == h.slot);
    CHECK_FALSE(sim.cancel(h));
    sim.run();
    CHECK(runs == 10);
  }
  SECTION("an empty handle cancels nothing") { CHECK_FALSE(sim.cancel(EventHandle{})); }
}

TEST_CASE("Periodic timers fire every period until cancelled", "[simulator]") {
  Simulator sim;
  std::vector<std::int64_t> at;
  auto* a = &at;
  auto* s = &sim;
  auto timer = sim.every(15_s, [a, s] { a->push_back(s->now().ns() / 1'000'000'000); });
  sim.run_until(TimePoint::start() + 60_s);
  CHECK(at == std::vector<std::int64_t>{15, 30, 45, 60});
  sim.cancel(timer);
  sim.run_until(TimePoint::start() + 120_s);
  CHECK(at.size() == 4);

  SECTION("a timer can cancel itself from its own callback") {
    Simulator s2;
    int n = 0;
    EventHandle self;
    struct Ctx {
      Simulator* sim;
      int* n;
      EventHandle* self;
    } ctx{&s2, &n, &self};
    auto* c = &ctx;
    self = s2.every_from(TimePoint::start(), 1_s, [c] {
      if (++*c->n == 3) c->sim->cancel(*c->self);
    });
    s2.run_until(TimePoint::start() + 10_s);
    CHECK(n == 3);
    CHECK(s2.pending_events() == 0);
  }
  SECTION("a zero period is rejected") { CHECK_THROWS_AS(sim.every(Duration::zero(), [] {}), SchedulingError); }
}

TEST_CASE("run_until runs events exactly at the boundary and leaves later ones", "[simulator]") {
  Simulator sim;
  int early = 0, edge = 0, late = 0;
  auto *e = &early, *g = &edge, *l = &late;
  sim.at(TimePoint::start() + 9_s, [e] { ++*e; });
  sim.at(TimePoint::start() + 10_s, [g] { ++*g; });
  sim.at(TimePoint::start() + 10_s + 1_ns, [l] { ++*l; });
  sim.run_until(TimePoint::start() + 10_s);
  CHECK(early == 1);
  CHECK(edge == 1);
  CHECK(late == 0);
  CHECK(sim.now() == TimePoint::start() + 10_s);
  sim.run_for(1_s);
  CHECK(late == 1);
  CHECK(sim.now() == TimePoint::start() + 11_s);
}

TEST_CASE("stop() ends the run after the current event", "[simulator]") {
  Simulator sim;
  int n = 0;
  auto* p = &n;
  auto* s = &sim;
  sim.every(1_s, [p, s] {
    if (++*p == 5) s->stop();
  });
  sim.run_until(TimePoint::start() + 100_s);
  CHECK(n == 5);
  CHECK(sim.now() == TimePoint::start() + 5_s);
}

TEST_CASE("Scheduling into the past is rejected", "[simulator]") {
  Simulator sim;
  sim.run_until(TimePoint::start() + 5_s);
  CHECK_THROWS_AS(sim.at(TimePoint::start() + 4_s, [] {}), SchedulingError);
  CHECK_THROWS_AS(sim.after(-(1_s), [] {}), SchedulingError);
}

namespace {
// A small hold model: each event schedules the next after an exponential delay.
std::uint64_t hold_fingerprint(std::uint64_t seed, int events) {
  Simulator sim{seed};
  struct Ctx {
    Simulator* sim;
    RandomStream rng;
    int left;
  } ctx{&sim, sim.stream("hold"), events};
  struct Step {
    Ctx* c;
    void operator()() const {
      if (--c->left <= 0) return;
      auto d = Duration::nanoseconds(static_cast<std::int64_t>(c->rng.exponential(1000.0)));
      c->sim->after(d, Step{c}, EventTag{1, static_cast<std::uint16_t>(c->left % 7)});
    }
  };
  for (int i = 0; i < 100; ++i) sim.after(Duration::nanoseconds(i), Step{&ctx}, EventTag{2, 0});
  sim.run();
  return sim.fingerprint();
}
}  // namespace

TEST_CASE("The fingerprint pins the executed event sequence", "[simulator][fingerprint]") {
  const auto a = hold_fingerprint(42, 20000);
  CHECK(a == hold_fingerprint(42, 20000));
  CHECK(a != hold_fingerprint(43, 20000));
  // Regression pin: a change to the engine, the generator or the exponential
  // draw changes this number. Update it only for an intended change.
  CHECK(a == 0x8487eafbd089f69fULL);  // since the ziggurat exponential (was 0x284a9a0e7471af5)
}

TEST_CASE("Events scheduled between run_until calls keep time order", "[simulator]") {
  // run_until peeks at the next event (at 10 s) and stops at 5 s; an event
  // scheduled then for 7 s must still run before the one at 10 s.
  Simulator sim;
  std::vector<int> order;
  auto* o = &order;
  sim.at(TimePoint::start() + 10_s, [o] { o->push_back(10); });
  sim.run_until(TimePoint::start() + 5_s);
  sim.at(TimePoint::start() + 7_s, [o] { o->push_back(7); });
  sim.at(TimePoint::start() + 6_s, [o] { o->push_back(6); });
  sim.run_until(TimePoint::start() + 20_s);
  CHECK(order == std::vector<int>{6, 7, 10});
}

TEST_CASE("No two kinds of model event share a number in the fingerprint", "[simulator][fingerprint]") {
  std::set<std::uint16_t> seen;
  for (const drsim::EventKind k : drsim::kAllEventKinds) CHECK(seen.insert(static_cast<std::uint16_t>(k)).second);
}

TEST_CASE("The adaptive queue pops what the reference heap pops, across switches between its modes", "[simulator][queue]") {
  // A pending count that swells past the switch to the radix heap and drains
  // back below the switch to the 4-ary heap, several times, with many ties.
  detail::AdaptiveEventQueue adaptive;
  detail::QuaternaryEventQueue reference;
  RandomStream rng(11, "queue");
  std::int64_t now = 0;
  std::uint32_t next_slot = 0;
  int switches = 0;
  bool was_heap = adaptive.in_heap();
  for (int phase = 0; phase < 6; ++phase) {
    const bool swell = phase % 2 == 0;
    for (int step = 0; step < 3000; ++step) {
      const int pushes = swell ? static_cast<int>(rng.below(4)) : (rng.below(4) == 0 ? 1 : 0);
      for (int p = 0; p < pushes; ++p) {
        const detail::EventRecord r{now + static_cast<std::int64_t>(rng.below(20)) * 1000, next_slot++, 0};
        adaptive.push(r);
        reference.push(r);
      }
      if (!reference.empty()) {
        REQUIRE(adaptive.size() == reference.size());
        REQUIRE(adaptive.top_time() == reference.top_time());
        const detail::EventRecord a = adaptive.top();
        const detail::EventRecord b = reference.top();
        REQUIRE(a.time == b.time);
        REQUIRE(a.slot == b.slot);  // the same record: ties keep their insertion order
        now = a.time;
        adaptive.pop();
        reference.pop();
      }
      if (adaptive.in_heap() != was_heap) {
        ++switches;
        was_heap = adaptive.in_heap();
      }
    }
  }
  CHECK(switches >= 4);  // the test really crossed both thresholds, more than once
  CHECK(adaptive.size() == reference.size());
}

TEST_CASE("Back in radix mode, the adaptive queue orders times below the last one it handed out before", "[simulator][queue]") {
  // Draining the radix heap into the 4-ary heap hands out its latest pending
  // time (768 ns here) as the front; times between now and it come back later.
  detail::AdaptiveEventQueue q;
  std::uint32_t slot = 0;
  for (std::int64_t t = 512; t <= 768; ++t) q.push({t, slot++, 0});  // 257 records: radix mode
  REQUIRE_FALSE(q.in_heap());
  while (!q.in_heap()) q.pop();  // below 32: back to the heap, the radix heap emptied up to 768
  const std::int64_t now = q.top_time();
  REQUIRE(now < 767);
  q.push({767, slot++, 0});
  for (int i = 0; i < 300; ++i) q.push({769, slot++, 0});  // radix mode again
  REQUIRE_FALSE(q.in_heap());
  std::int64_t last = 0;
  while (!q.empty()) {
    const std::int64_t t = q.top().time;
    REQUIRE(t >= last);
    last = t;
    q.pop();
  }
}
