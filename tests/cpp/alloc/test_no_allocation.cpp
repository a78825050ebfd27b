// Counts every call to the global operator new, to check that the event loop
// allocates nothing per event once its pools have grown.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "drsim/core/simulator.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace drsim;

TEST_CASE("The event loop allocates nothing per event in steady state", "[simulator][alloc]") {
  // Hold model: 1000 chains, each event schedules its successor after
  // 1 ns + Exp(mean 1 us), so about 1000 events run per simulated microsecond.
  Simulator sim{1};
  struct Ctx {
    Simulator* sim;
    RandomStream rng;
  } ctx{&sim, sim.stream("hold")};
  struct Step {
    Ctx* c;
    void operator()() const { schedule(*c); }
    static void schedule(Ctx& c) {
      c.sim->after(Duration::nanoseconds(1 + static_cast<std::int64_t>(c.rng.exponential(1000.0))), Step{&c});
    }
  };
  for (int i = 0; i < 1000; ++i) Step::schedule(ctx);
  sim.run_for(Duration::milliseconds(3));  // warm-up: ~3 M events, pools at their working size
  const long before = g_allocations.load();
  const auto executed_before = sim.executed_events();
  sim.run_for(Duration::milliseconds(2));
  const long after = g_allocations.load();
  CHECK(sim.executed_events() - executed_before >= 1'000'000);
  CHECK(after - before == 0);

  SECTION("cancelling and periodic timers allocate nothing either") {
    const long b2 = g_allocations.load();
    for (int i = 0; i < 100; ++i) {
      auto h = sim.after(Duration::seconds(1), [] {});
      sim.cancel(h);
    }
    auto timer = sim.every(Duration::microseconds(10), [] {});
    sim.run_for(Duration::milliseconds(1));
    sim.cancel(timer);
    CHECK(g_allocations.load() - b2 == 0);
  }
}
