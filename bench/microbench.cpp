// Queue microbenchmarks (Google Benchmark): the hold model on the bare event
// queues, without the simulator's slot pool or callbacks, to separate queue
// cost from dispatch cost. Not part of `make bench`; run
// ./build/bench/drsim_microbench after building with -DDRSIM_BUILD_BENCH=ON.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "drsim/core/event_queue.hpp"
#include "drsim/core/random.hpp"

namespace {

template <class Queue>
void BM_QueueHold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Queue q;
  q.reserve(n);
  drsim::RandomStream rng(1, "hold");
  std::uint32_t slot = 0;
  for (std::size_t i = 0; i < n; ++i)
    q.push({1 + static_cast<std::int64_t>(rng.exponential(1000.0)), slot++, 0});
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    const drsim::detail::EventRecord r = q.top();
    q.pop();
    q.push({r.time + 1 + static_cast<std::int64_t>(rng.exponential(1000.0)), r.slot, r.gen + 1});
  }
  state.SetItemsProcessed(state.iterations());
}

// The simulator's queue (8-bit digits), the same heap with 4-bit and 1-bit
// (classic binary radix heap) digits, and the 4-ary comparison heap.
using drsim::detail::BasicRadixEventQueue;
BENCHMARK(BM_QueueHold<drsim::detail::RadixEventQueue>)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_QueueHold<BasicRadixEventQueue<4, 64>>)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_QueueHold<BasicRadixEventQueue<1, 64>>)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_QueueHold<drsim::detail::QuaternaryEventQueue>)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

}  // namespace

BENCHMARK_MAIN();
