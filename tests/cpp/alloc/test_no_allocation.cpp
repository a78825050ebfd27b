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
/// One request every 0.5 ms with a 1 s deadline, into clusters 0 .. clusters - 1 in turn.
struct MeshSource {
  Simulator* sim;
  ServiceMesh* mesh;
  std::uint32_t next = 0;
  std::uint32_t clusters = 1;
  void operator()() {
    mesh->handle(next, next % clusters, Duration::seconds(1));
    ++next;
    sim->after(Duration::microseconds(500), *this);
  }
};
static_assert(sizeof(MeshSource) <= 32);

/// Bookinfo in two clusters 20 ms apart, retention off.
struct BookinfoTwice {
  Simulator sim{3};
  UniformMeshNetwork net{Duration::milliseconds(20)};
  MeshSink sink;
  ServiceMesh mesh{sim, 2, net, MeshCompletion::to(sink)};
  BookinfoTwice() {
    mesh.add_app(0, ServiceGraphSpec::bookinfo(), false);
    mesh.add_app(1, ServiceGraphSpec::bookinfo(), false);
  }
};
}  // namespace

TEST_CASE("The service mesh allocates nothing per request in steady state", "[app][alloc]") {
  // Bookinfo in two clusters with retention off (calls cross at random), a
  // deadline on every request, one request every 0.5 ms into cluster 0:
  // ~2,000 req/s, well under capacity, so queues stay short and every pool
  // reaches its working size within the warm-up.
  BookinfoTwice rig;
  auto& [sim, net, sink, mesh] = rig;
  mesh.reserve(4096);
  sim.reserve(16384);
  sim.after(Duration::zero(), MeshSource{&sim, &mesh, 0, 1});
  sim.run_for(Duration::seconds(5));  // warm-up: 10,000 requests
  const long before = g_allocations.load();
  const long answered = sink.responses;
  sim.run_for(Duration::seconds(5));
  CHECK(sink.responses - answered >= 9'000);
  CHECK(g_allocations.load() - before == 0);
}

TEST_CASE("The mesh's own failover allocates nothing per request either", "[mesh][alloc]") {
  // As above, with outlier detection (every host may be ejected), locality
  // priorities, Istio's retries plus 503, and cluster 1's app answering 30 %
  // of its calls 503: retries, ejections and returns all run in the measured
  // span. The warm-up is longer (40,000 requests): the pools' peak grows with
  // the rare bursts of retries.
  BookinfoTwice rig;
  auto& [sim, net, sink, mesh] = rig;
  MeshSpec spec;
  spec.outlier_detection.emplace();
  spec.outlier_detection->max_ejection_percent = 100;
  spec.outlier_detection->interval = Duration::seconds(1);
  spec.outlier_detection->base_ejection_time = Duration::seconds(2);
  spec.retries.retriable_status_codes = "503";
  spec.retries.retry_remote_localities = true;
  mesh.use_traffic(spec, nullptr);
  mesh.traffic()->set_app_gray(1, 0.3, Duration::zero());
  mesh.reserve(4096);
  sim.reserve(16384);
  mesh.start();
  sim.after(Duration::zero(), MeshSource{&sim, &mesh, 0, 2});
  sim.run_for(Duration::seconds(20));
  const long before = g_allocations.load();
  const long answered = sink.responses;
  const auto retries = mesh.traffic()->stats().retries;
  const auto ejections = mesh.traffic()->ejections();
  sim.run_for(Duration::seconds(5));
  CHECK(sink.responses - answered >= 9'000);
  CHECK(mesh.traffic()->stats().retries > retries);
  CHECK(mesh.traffic()->ejections() > ejections);
  CHECK(g_allocations.load() - before == 0);
}
