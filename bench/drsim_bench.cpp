// drsim engine benchmarks; `make bench` runs this executable.
//
// Hold model (the classic priority-queue benchmark): N events are pending;
// each executed event schedules one more at now + 1 ns + Exp(mean 1 us), so
// the queue stays at N. The prefill is not timed; then at least 10^7 events
// are timed through the public scheduling API, callback dispatch included.
// Each case is repeated (5 times by default, interleaved with the other
// implementations so drift hits all of them alike) and the median reported.
//
// Implementations measured in this one translation unit, with the same flags:
//   hold       drsim::Simulator (radix-heap queue, the one models use)
//   hold_4ary  drsim::BasicSimulator<drsim::detail::QuaternaryEventQueue>
//   baseline   std::priority_queue of {time, sequence, std::function<void()>}
//              whose callbacks capture one pointer
// All three see the same random stream and tie-break equal times by
// insertion order, so they execute the very same event sequence; the final
// clock is compared to check it.
//
// stdout: one JSON object per line per case, e.g.
//   {"name":"hold","n":1000,"events_per_sec":...,"baseline_events_per_sec":...}
// Rates are timed events per second of the benchmark thread's CPU time (on an
// idle machine, per wall-clock second; --wall reports those instead).
// stderr: progress (both rates) and the floor check.
//
// Options: --events=K (timed events per repetition, default 3000000)
//          --reps=R (default 3)  --n=1000,100000,1000000
//          --check (exit 1 when a floor of bench/README.md is missed)
//          --wall (report events per wall-clock second)
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <queue>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drsim/analysis/sweep.hpp"
#include "drsim/core/random.hpp"
#include "drsim/drsim.hpp"
#include "drsim/model/failover_model.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/time.hpp"

namespace {

/// Wall time and the CPU time of this thread. The benchmark is single-
/// threaded, so on an idle machine the two agree; when other jobs share the
/// cores, CPU time leaves out the time the thread was not running.
struct Stopwatch {
  static double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_now();
  [[nodiscard]] double wall_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  }
  [[nodiscard]] double cpu_s() const { return cpu_now() - cpu0; }
};

struct Options {
  std::int64_t events = 3'000'000;
  int reps = 3;
  std::vector<std::size_t> sizes{1'000, 100'000, 1'000'000};
  bool check = false;
  bool wall = false;  // report events per wall-clock second instead of per CPU second
  std::string only;   // comma-separated parts to run (hold, drill, scenarios, population); empty: all
  [[nodiscard]] bool runs(std::string_view part) const {
    return only.empty() || ("," + only + ",").find("," + std::string(part) + ",") != std::string::npos;
  }
};

/// One repetition: timed events per CPU second and per wall-clock second, and
/// the final simulated clock (identical across implementations for a seed).
struct Sample {
  double events_per_cpu_sec;
  double events_per_wall_sec;
  std::int64_t final_ns;
};

Sample make_sample(std::int64_t events, double cpu_s, double wall_s, std::int64_t final_ns) {
  const auto e = static_cast<double>(events);
  return {e / cpu_s, e / wall_s, final_ns};
}

/// The hold-model delay: 1 ns + Exp(mean 1 us), truncated to whole ns.
inline std::int64_t hold_delay_ns(drsim::RandomStream& rng) {
  return 1 + static_cast<std::int64_t>(rng.exponential(1000.0));
}

// ---------------------------------------------------------------------------
// drsim: the public API, sim.after(...), one pointer captured.

template <class Sim>
struct HoldCtx {
  Sim* sim;
  drsim::RandomStream rng;
  std::int64_t left;  // events still to run in the timed phase
};

template <class Sim>
struct HoldStep {
  HoldCtx<Sim>* c;
  void operator()() const {
    HoldCtx<Sim>& x = *c;
    if (--x.left == 0) x.sim->stop();
    schedule(x);
  }
  static void schedule(HoldCtx<Sim>& x) {
    x.sim->after(drsim::Duration::nanoseconds(hold_delay_ns(x.rng)), HoldStep{&x});
  }
};

template <class Sim>
Sample run_drsim(std::size_t n, std::int64_t events, std::uint64_t seed) {
  Sim sim{seed};
  sim.reserve(n);
  HoldCtx<Sim> ctx{&sim, sim.stream("hold"), events};
  for (std::size_t i = 0; i < n; ++i) HoldStep<Sim>::schedule(ctx);  // prefill, not timed
  Stopwatch watch;
  sim.run();  // the events-th callback calls stop()
  const double cpu_s = watch.cpu_s(), wall_s = watch.wall_s();
  if (sim.executed_events() != static_cast<std::uint64_t>(events) || sim.pending_events() != n) {
    std::fprintf(stderr, "drsim_bench: hold model did not run as expected\n");
    std::exit(2);
  }
  return make_sample(events, cpu_s, wall_s, sim.now().ns());
}

// ---------------------------------------------------------------------------
// Baseline: the textbook event list.

class BaselineSim {
 public:
  struct Item {
    std::int64_t time;
    std::uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  explicit BaselineSim(std::size_t reserve) { queue_.reserve(reserve); }
  [[nodiscard]] std::int64_t now() const { return now_; }
  void after(std::int64_t delay_ns, std::function<void()> fn) { queue_.push({now_ + delay_ns, seq_++, std::move(fn)}); }
  void stop() { stopped_ = true; }
  void run() {
    stopped_ = false;
    while (!stopped_ && !queue_.empty()) {
      Item it = queue_.top();  // priority_queue only exposes a const top()
      queue_.pop();
      now_ = it.time;
      ++executed_;
      it.fn();
    }
  }
  [[nodiscard]] std::uint64_t executed() const { return executed_; }
  [[nodiscard]] std::size_t pending() const { return queue_.size(); }

 private:
  // std::priority_queue plus reserve(), so it does not grow during the prefill
  // (the drsim cases reserve too).
  struct Queue : std::priority_queue<Item, std::vector<Item>, Later> {
    void reserve(std::size_t n) { c.reserve(n); }
  };
  Queue queue_;
  std::int64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  bool stopped_ = false;
};

struct BaselineCtx {
  BaselineSim* sim;
  drsim::RandomStream rng;
  std::int64_t left;
  void step() {
    if (--left == 0) sim->stop();
    schedule();
  }
  void schedule() {
    BaselineCtx* self = this;
    sim->after(hold_delay_ns(rng), [self] { self->step(); });
  }
};

Sample run_baseline(std::size_t n, std::int64_t events, std::uint64_t seed) {
  BaselineSim sim{n};
  BaselineCtx ctx{&sim, drsim::RandomStream(seed, "hold"), events};
  for (std::size_t i = 0; i < n; ++i) ctx.schedule();  // prefill, not timed
  Stopwatch watch;
  sim.run();
  const double cpu_s = watch.cpu_s(), wall_s = watch.wall_s();
  if (sim.executed() != static_cast<std::uint64_t>(events) || sim.pending() != n) {
    std::fprintf(stderr, "drsim_bench: baseline hold model did not run as expected\n");
    std::exit(2);
  }
  return make_sample(events, cpu_s, wall_s, sim.now());
}

// ---------------------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// Floors from the issue (2-core machine): events/s by N, and 1.5x baseline.
double floor_for(std::size_t n) {
  if (n <= 1'000) return 10e6;
  if (n <= 100'000) return 4e6;
  return 2.5e6;
}
constexpr double kMinRatio = 1.5;

/// Runs the hold benchmark; returns false when a floor was missed.
bool bench_hold(const Options& opt) {
  bool ok = true;
  for (const std::size_t n : opt.sizes) {
    std::vector<double> radix, quaternary, baseline;
    for (int rep = 0; rep < opt.reps; ++rep) {
      const std::uint64_t seed = 1 + static_cast<std::uint64_t>(rep);
      // Rotate the order so no implementation always runs first (cold) or last.
      Sample s[3]{};
      for (int k = 0; k < 3; ++k) {
        switch ((k + rep) % 3) {
          case 0: s[0] = run_drsim<drsim::Simulator>(n, opt.events, seed); break;
          case 1: s[1] = run_drsim<drsim::BasicSimulator<drsim::detail::QuaternaryEventQueue>>(n, opt.events, seed); break;
          default: s[2] = run_baseline(n, opt.events, seed); break;
        }
      }
      if (s[0].final_ns != s[1].final_ns || s[0].final_ns != s[2].final_ns) {
        std::fprintf(stderr, "drsim_bench: implementations diverged at n=%zu (final clocks %lld, %lld, %lld ns)\n", n,
                     static_cast<long long>(s[0].final_ns), static_cast<long long>(s[1].final_ns),
                     static_cast<long long>(s[2].final_ns));
        std::exit(2);
      }
      const auto rate = [&](const Sample& x) { return opt.wall ? x.events_per_wall_sec : x.events_per_cpu_sec; };
      radix.push_back(rate(s[0]));
      quaternary.push_back(rate(s[1]));
      baseline.push_back(rate(s[2]));
      std::fprintf(stderr,
                   "  n=%zu rep %d: events/s per CPU second (per wall second): hold %.3g (%.3g), "
                   "hold_4ary %.3g (%.3g), baseline %.3g (%.3g)\n",
                   n, rep + 1, s[0].events_per_cpu_sec, s[0].events_per_wall_sec, s[1].events_per_cpu_sec,
                   s[1].events_per_wall_sec, s[2].events_per_cpu_sec, s[2].events_per_wall_sec);
    }
    const double r = median(radix), q = median(quaternary), b = median(baseline);
    std::printf("{\"name\":\"hold\",\"n\":%zu,\"events_per_sec\":%.0f,\"baseline_events_per_sec\":%.0f}\n", n, r, b);
    std::printf("{\"name\":\"hold_4ary\",\"n\":%zu,\"events_per_sec\":%.0f,\"baseline_events_per_sec\":%.0f}\n", n, q, b);
    std::fflush(stdout);
    const bool met = r >= floor_for(n) && r >= kMinRatio * b;
    std::fprintf(stderr, "hold n=%zu: %.2f M events/s (floor %.1f M), %.2fx baseline (floor %.1fx): %s\n", n, r / 1e6,
                 floor_for(n) / 1e6, r / b, kMinRatio, met ? "ok" : "MISSED");
    ok = ok && met;
  }
  return ok;
}

/// The seed drill in process (models/asm-gtm-drill.json, seed 1):
///   drill_replication  one replication on one thread as drsim::run runs all
///                      but the first (no event log, no report detail), through
///                      the library's drsim::run_replication: the model built
///                      from the spec, run to the end, its metrics returned
///                      (no Result, no JSON), averaged over 200
///                      replications, in CPU ms; `reported_ms` is the same
///                      with the detail replication 0 keeps (event log,
///                      per-second latency, fortio's statistics);
///   drill_1000         drsim::run with 1,000 replications on every core, wall s.
/// Baseline, in the same run: the engine alone executing as many events as a
/// drill replication does, with the hold model at the drill's mean pending
/// count, so the ratio says how much of a replication is model work.
bool bench_drill(const Options& opt) {
  const auto scenario = drsim::Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json");
  constexpr int kReplications = 200;
  // What the engine does in a replication (untimed): the events of the lean
  // replications, and the mean pending count sampled every 10 ms of
  // replication 0 as reported. Through the library, like the timed runs: a
  // FailoverModel built in this file would bring its own (untrained) copies of
  // the request path's inline functions, which the linker may keep instead
  // of the library's (docs/architecture.md, "Build").
  const auto sampled = drsim::detail::engine_load(scenario.spec(), drsim::replication_seed(1, 0), drsim::Duration::milliseconds(10));
  const std::size_t pending = std::max<std::size_t>(1, static_cast<std::size_t>(sampled.mean_pending + 0.5));
  drsim::ModelSpec lean = scenario.spec();
  lean.log_events = false;
  lean.report_detail = false;
  std::uint64_t events = 0;
  for (int k = 0; k < kReplications; ++k)
    events += drsim::detail::engine_load(lean, drsim::replication_seed(1, static_cast<std::uint64_t>(k))).events;
  std::vector<double> ms, base_ms, reported_ms;
  for (int rep = 0; rep < opt.reps; ++rep) {
    Stopwatch watch;
    for (int k = 0; k < kReplications; ++k) {
      drsim::run_replication(lean, drsim::replication_seed(1, static_cast<std::uint64_t>(k)));
    }
    ms.push_back(watch.cpu_s() * 1e3 / kReplications);
    Stopwatch reported;
    for (int k = 0; k < kReplications / 4; ++k) {
      drsim::run_replication(scenario.spec(), drsim::replication_seed(1, static_cast<std::uint64_t>(k)));
    }
    reported_ms.push_back(reported.cpu_s() * 1e3 / (kReplications / 4));
    // The engine alone: as many events as a replication, at the drill's mean pending count.
    const auto per_replication = static_cast<std::int64_t>(events / kReplications);
    Stopwatch base;
    for (int k = 0; k < kReplications / 10; ++k)
      run_drsim<drsim::Simulator>(pending, per_replication, 1 + static_cast<std::uint64_t>(k));
    base_ms.push_back(base.cpu_s() * 1e3 / (kReplications / 10));
  }
  const double m = median(ms), b = median(base_ms), full = median(reported_ms);
  std::printf("{\"name\":\"drill_replication\",\"ms\":%.3f,\"reported_ms\":%.3f,\"events\":%llu,\"mean_pending\":%zu,"
              "\"baseline_engine_ms\":%.3f}\n",
              m, full, static_cast<unsigned long long>(events / kReplications), pending, b);
  std::fflush(stdout);
  std::fprintf(stderr, "drill replication: %.2f ms CPU (floor 2 ms), %llu events; the engine alone: %.2f ms (%.0f %%)\n", m,
               static_cast<unsigned long long>(events / kReplications), b, 100.0 * b / m);

  Stopwatch thousand;
  const auto result = drsim::run(scenario, {.seed = 1, .replications = 1000, .threads = 0});
  const double wall = thousand.wall_s();
  std::printf("{\"name\":\"drill_1000\",\"seconds\":%.3f,\"failed_pct_mean\":%.3f}\n", wall,
              result.replications().at("failed_pct").mean);
  std::fflush(stdout);
  std::fprintf(stderr, "1,000 drill replications: %.2f s wall on every core (floor 1 s)\n", wall);
  return m <= 2.0 && wall <= 1.0;
}

/// The capacity-planning sweep and the spike (the scale issue's floors):
///   sweep_27x20  drsim::run_points over the 3 x 3 x 3 grid of the seed drill
///                (gtm.ttl x health_check.interval x health_check.failures),
///                20 replications a point (540 runs), every core, wall s
///                (floor 1 s); baseline: the same 540 runs with
///                request_shortcuts off (every step of a request an event),
///                measured the same way;
///   spike        models/surviving-region-spike.json, one replication in
///                process with its report detail (what `drsim run` does for
///                it: 3.6 M requests), CPU s (floor 0.3 s); baseline: the
///                same with request_shortcuts off.
bool bench_scenarios(const Options& opt) {
  const auto drill = drsim::Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/asm-gtm-drill.json");
  drsim::SweepSpec grid;
  grid.grid = {{"gtm.ttl", {"10s", "30s", "60s"}},
               {"gtm.health_check.interval", {"15s", "30s", "60s"}},
               {"gtm.health_check.failures", {"1", "2", "3"}}};
  const auto points = drsim::sweep_points(grid);
  std::vector<double> sweep_s;
  for (int rep = 0; rep < opt.reps; ++rep) {
    Stopwatch w;
    const auto r = drsim::run_points(drill, points, {.seed = 1, .replications = 20, .threads = 0});
    sweep_s.push_back(w.wall_s());
  }
  // The baseline: each of the 540 runs with every step of its requests an event.
  Stopwatch slow_watch;
  {
    drsim::ModelSpec plain = drill.spec();
    plain.request_shortcuts = false;
    plain.log_events = false;
    plain.report_detail = false;
    std::vector<std::thread> workers;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> next{0};
    for (unsigned t = 0; t < cores; ++t)
      workers.emplace_back([&] {
        for (std::size_t k; (k = next++) < points.size() * 20;) {
          drsim::Scenario sc = drill;
          for (const auto& set : points[k / 20].settings) sc.set(set.path, set.value);
          drsim::ModelSpec spec = sc.spec();
          spec.request_shortcuts = false;
          spec.log_events = false;
          spec.report_detail = false;
          drsim::run_replication(spec, drsim::replication_seed(1, k % 20));
        }
      });
    for (auto& w : workers) w.join();
  }
  const double sweep = median(sweep_s), sweep_base = slow_watch.wall_s();
  std::printf("{\"name\":\"sweep_27x20\",\"runs\":540,\"seconds\":%.3f,\"baseline_seconds\":%.3f}\n", sweep, sweep_base);
  std::fflush(stdout);
  std::fprintf(stderr, "27 x 20 sweep: %.2f s wall on every core (floor 1 s); every step an event: %.2f s\n", sweep, sweep_base);

  const auto spike = drsim::Scenario::load(std::string(DRSIM_SOURCE_DIR) + "/models/surviving-region-spike.json");
  std::vector<double> spike_s;
  std::uint64_t requests = 0;
  for (int rep = 0; rep < opt.reps; ++rep) {
    Stopwatch w;
    requests = drsim::run_replication(spike.spec(), drsim::replication_seed(1, 0)).started();
    spike_s.push_back(w.cpu_s());
  }
  drsim::ModelSpec plain = spike.spec();
  plain.request_shortcuts = false;
  Stopwatch base;
  drsim::run_replication(plain, drsim::replication_seed(1, 0));
  const double sp = median(spike_s), sp_base = base.cpu_s();
  std::printf("{\"name\":\"spike\",\"requests\":%llu,\"seconds\":%.3f,\"baseline_seconds\":%.3f}\n",
              static_cast<unsigned long long>(requests), sp, sp_base);
  std::fflush(stdout);
  std::fprintf(stderr, "spike (%llu requests): %.3f s CPU (floor 0.3 s); every step an event: %.3f s\n",
               static_cast<unsigned long long>(requests), sp, sp_base);
  return sweep <= 1.0 && sp <= 0.3;
}

// ---- the million-client population -------------------------------------

/// A `drsim run` in a child process, for its own peak RSS and CPU time.
struct ChildRun {
  pid_t pid = -1;
  Stopwatch watch;
  std::string what;
};

std::string drsim_cli() {
  char self[4096] = {};
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string("build/bench/drsim_bench");
  dir = dir.substr(0, dir.find_last_of('/'));
  return dir + "/../bin/drsim";
}

ChildRun start_population(const std::string& what, std::vector<std::string> extra) {
  ChildRun c;
  c.what = what;
  std::vector<std::string> args = {drsim_cli(), "run", std::string(DRSIM_SOURCE_DIR) + "/models/population-region-outage.json",
                                   "--threads", "1", "--quiet", "--json"};
  for (auto& e : extra) args.push_back(std::move(e));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) c.pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return c;
}

struct ChildFigures {
  bool ok = false;
  double wall_s = 0, cpu_s = 0, peak_mb = 0;
};

ChildFigures finish(ChildRun& c) {
  ChildFigures f;
  int status = 0;
  rusage ru{};
  if (c.pid < 0 || wait4(c.pid, &status, 0, &ru) != c.pid) return f;
  f.wall_s = c.watch.wall_s();
  f.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  f.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  f.peak_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // kB
  return f;
}

/// The hundredth of the model (10,000 clients, 1,000 requests/s, the same hour) in both modes.
std::vector<std::string> hundredth(const char* execution) {
  return {"--set", "population.groups.browsers.load.clients=6000", "--set", "population.groups.java-services.load.clients=2500",
          "--set", "population.groups.python-scripts.load.clients=1500", "--set", "population.groups.browsers.load.rate=600/s",
          "--set", "population.groups.java-services.load.rate=250/s", "--set", "population.groups.python-scripts.load.rate=150/s",
          "--set", std::string("population.execution=") + execution};
}

bool report_population(ChildRun& full) {
  const ChildFigures f = finish(full);
  constexpr double kClients = 1e6;
  std::printf("{\"name\":\"population_1m_aggregated\",\"ok\":%s,\"cpu_s\":%.2f,\"wall_s\":%.2f,\"peak_rss_mb\":%.1f,"
              "\"bytes_per_client\":%.1f}\n",
              f.ok ? "true" : "false", f.cpu_s, f.wall_s, f.peak_mb, f.peak_mb * 1024 * 1024 / kClients);
  std::fflush(stdout);
  std::fprintf(stderr, "population (1 M clients, 10,000 resolvers, 100,000 requests/s, 1 h), aggregated: %.1f s CPU (floor 60 s), "
                       "peak RSS %.1f MB = %.1f bytes per client (floor 64)\n",
               f.cpu_s, f.peak_mb, f.peak_mb * 1024 * 1024 / kClients);
  // The same-run baseline: both modes on a hundredth of the population (the
  // whole model per request takes about 10 minutes: bench/README.md).
  double cpu[2] = {0, 0};
  const char* modes[2] = {"aggregated", "per_request"};
  for (int m = 0; m < 2; ++m) {
    ChildRun c = start_population(modes[m], hundredth(modes[m]));
    const ChildFigures h = finish(c);
    cpu[m] = h.cpu_s;
    // (No peak RSS here: a child started this late inherits the bench's high-water mark.)
    std::printf("{\"name\":\"population_10k_%s\",\"ok\":%s,\"cpu_s\":%.2f}\n", modes[m], h.ok ? "true" : "false", h.cpu_s);
    std::fflush(stdout);
  }
  std::fprintf(stderr, "population at 1/100 (10,000 clients): aggregated %.2f s, per request %.2f s CPU (%.1fx)\n", cpu[0], cpu[1],
               cpu[1] / std::max(1e-9, cpu[0]));
  return f.ok && f.cpu_s <= 60 && f.peak_mb * 1024 * 1024 / kClients <= 64;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Options parse(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (starts_with(a, "--events=")) {
      opt.events = std::atoll(argv[i] + 9);
    } else if (starts_with(a, "--reps=")) {
      opt.reps = std::atoi(argv[i] + 7);
    } else if (starts_with(a, "--n=")) {
      opt.sizes.clear();
      std::string list(a.substr(4));
      for (char* tok = std::strtok(list.data(), ","); tok != nullptr; tok = std::strtok(nullptr, ","))
        opt.sizes.push_back(static_cast<std::size_t>(std::atoll(tok)));
    } else if (a == "--check") {
      opt.check = true;
    } else if (a == "--wall") {
      opt.wall = true;
    } else if (starts_with(a, "--only=")) {
      opt.only = std::string(a.substr(7));
    } else {
      std::fprintf(stderr,
                   "usage: drsim_bench [--events=K] [--reps=R] [--n=1000,100000,1000000] [--check] [--wall]\n"
                   "                   [--only=hold,drill,scenarios,population]  (the parts to run; default all)\n");
      std::exit(a == "--help" || a == "-h" ? 0 : 64);
    }
  }
  if (opt.events < 1 || opt.reps < 1 || opt.sizes.empty()) {
    std::fprintf(stderr, "drsim_bench: --events and --reps must be >= 1 and --n non-empty\n");
    std::exit(64);
  }
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  // The population run takes one core for most of a minute: it starts
  // first, in its own process, and the rest runs beside it on the other.
  std::optional<ChildRun> population;
  if (opt.runs("population")) population = start_population("aggregated", {});
  bool ok = true;
  if (opt.runs("hold")) ok = bench_hold(opt) && ok;
  if (opt.runs("drill")) ok = bench_drill(opt) && ok;
  if (opt.runs("scenarios")) ok = bench_scenarios(opt) && ok;
  if (population) ok = report_population(*population) && ok;
  if (!ok) std::fprintf(stderr, "drsim_bench: at least one floor was missed\n");
  return opt.check && !ok ? 1 : 0;
}
