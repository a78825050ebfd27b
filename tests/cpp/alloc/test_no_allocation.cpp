// Counts every call to the global operator new, to check that the event loop
// allocates nothing per event once its pools have grown.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "drsim/core/simulator.hpp"
#include "drsim/model/service_graph.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The replacement new above takes its memory from malloc, so free is the
// matching release; GCC 12 sees free inlined where a `new` expression was and
// warns (-Wmismatched-new-delete) without knowing that new was replaced.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

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

namespace {
struct MeshSink {
  long responses = 0;
  void on_app_response(std::uint32_t, MeshOutcome) { ++responses; }
};
}  // namespace

TEST_CASE("The service mesh allocates nothing per request in steady state", "[app][alloc]") {
  // Bookinfo in two clusters with retention off (calls cross at random), a
  // deadline on every request, one request every 0.5 ms into cluster 0:
  // ~2,000 req/s, well under capacity, so queues stay short and every pool
  // reaches its working size within the warm-up.
  Simulator sim{3};
  UniformMeshNetwork net(Duration::milliseconds(20));
  MeshSink sink;
  ServiceMesh mesh(sim, 2, net, MeshCompletion::to(sink));
  mesh.add_app(0, ServiceGraphSpec::bookinfo(), false);
  mesh.add_app(1, ServiceGraphSpec::bookinfo(), false);
  mesh.reserve(4096);
  sim.reserve(16384);
  struct Source {
    Simulator* sim;
    ServiceMesh* mesh;
    std::uint32_t next = 0;
    void operator()() {
      mesh->handle(next++, 0, Duration::seconds(1));
      sim->after(Duration::microseconds(500), *this);
    }
  };
  static_assert(sizeof(Source) <= 32);
  sim.after(Duration::zero(), Source{&sim, &mesh});
  sim.run_for(Duration::seconds(5));  // warm-up: 10,000 requests
  const long before = g_allocations.load();
  const long answered = sink.responses;
  sim.run_for(Duration::seconds(5));
  CHECK(sink.responses - answered >= 9'000);
  CHECK(g_allocations.load() - before == 0);
}
