// Specification of the HorizontalPodAutoscaler: hand-computed sequences of
// the kube-controller-manager algorithm for a CPU utilization target.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "drsim/model/hpa.hpp"

using namespace drsim;
using namespace drsim::literals;

namespace {

TimePoint at(Duration d) { return TimePoint::start() + d; }

// A Deployment whose pods are ready the moment they are created and whose
// metrics are current at every sync: each pod requests 100m and the total
// demand is spread evenly (the remainder one millicore at a time, so the sum
// is exact). Scaling up creates pods at the sync time; scaling down removes
// the newest.
struct EvenlyLoadedDeployment {
  std::vector<TimePoint> created;

  explicit EvenlyLoadedDeployment(int replicas) : created(static_cast<std::size_t>(replicas), at(-10_min)) {}

  [[nodiscard]] std::int32_t replicas() const { return static_cast<std::int32_t>(created.size()); }

  [[nodiscard]] std::vector<HpaPodSample> samples(std::int64_t demand_millicores, TimePoint now) const {
    std::vector<HpaPodSample> pods;
    const auto n = static_cast<std::int64_t>(created.size());
    for (std::int64_t i = 0; i < n; ++i) {
      HpaPodSample pod;
      pod.request = CpuQuantity::millicores(100);
      pod.usage = CpuQuantity::millicores(demand_millicores / n + (i < demand_millicores % n ? 1 : 0));
      pod.start_time = created[static_cast<std::size_t>(i)];
      pod.ready_transition_time = created[static_cast<std::size_t>(i)];
      pod.metric_timestamp = now;
      pods.push_back(pod);
    }
    return pods;
  }

  // One 15 s sync: ask the HPA, then apply its answer. Returns the new count.
  std::int32_t sync(HorizontalPodAutoscaler& hpa, std::int64_t demand_millicores, TimePoint now) {
    const auto pods = samples(demand_millicores, now);
    const std::int32_t desired = hpa.recommend(replicas(), pods, now);
    while (replicas() < desired) created.push_back(now);
    while (replicas() > desired) created.pop_back();
    return desired;
  }
};

// Replica counts after each of `syncs` syncs every 15 s from `first`.
std::vector<std::int32_t> run(HorizontalPodAutoscaler& hpa, EvenlyLoadedDeployment& deployment, std::int64_t demand,
                              TimePoint first, int syncs) {
  std::vector<std::int32_t> out;
  for (int k = 0; k < syncs; ++k) out.push_back(deployment.sync(hpa, demand, first + 15_s * k));
  return out;
}

HpaSpec spec_1_to_20(std::optional<HpaBehavior> behavior) {
  HpaSpec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 20;
  spec.target_cpu_utilization = 80;
  spec.behavior = behavior;
  return spec;
}

HpaPodSample pod_using(std::int64_t usage_millicores, TimePoint now) {
  HpaPodSample pod;
  pod.request = CpuQuantity::millicores(100);
  pod.usage = CpuQuantity::millicores(usage_millicores);
  pod.start_time = now - 10_min;
  pod.ready_transition_time = now - 10_min;
  pod.metric_timestamp = now;
  return pod;
}

}  // namespace

// Demand 1600m over pods requesting 100m with an 80 % target settles at
// 1600 / (100 x 0.8) = 20 replicas. In every sequence below:
//   at  2 replicas: util = floor(1600 / 200 x 100)  = 800 %, ratio 10,     proposal ceil(10 x 2)       = 20
//   at  4 replicas: util = floor(1600 / 400 x 100)  = 400 %, ratio 5,      proposal ceil(5 x 4)        = 20
//   at  6 replicas: util = floor(1600 / 600 x 100)  = 266 %, ratio 3.325,  proposal ceil(19.95)        = 20
//   at  8 replicas: util = 200 %, ratio 2.5,    proposal 20
//   at 12 replicas: util = floor(1600 / 1200 x 100) = 133 %, ratio 1.6625, proposal ceil(19.95)        = 20
//   at 16 replicas: util = 100 %, ratio 1.25,   proposal ceil(1.25 x 16) = 20
//   at 20 replicas: util =  80 %, ratio 1.0, inside the tolerance: stay at 20
// so the proposal is 20 throughout and only the rate limits shape the sequence.

TEST_CASE("HPA with default behavior scales 2 -> 6 -> 12 -> 20 -> 20", "[hpa]") {
  HorizontalPodAutoscaler hpa(spec_1_to_20(HpaBehavior{}));
  EvenlyLoadedDeployment deployment(2);
  // Scale-up window 0, so the proposal 20 passes stabilization. Policies,
  // Max of {4 pods, 100 %} per 15 s from the replicas at the period start
  // (the previous sync's change is exactly 15 s old, so outside the period):
  //   t =  0 s:  2 -> max(2 + 4, ceil(2 x 2))   = max(6, 4)   = 6
  //   t = 15 s:  6 -> max(6 + 4, ceil(6 x 2))   = max(10, 12) = 12
  //   t = 30 s: 12 -> max(12 + 4, 24) = 24, capped by maxReplicas = 20
  //   t = 45 s: 20 -> util 80 %, ratio 1.0: no change
  CHECK(run(hpa, deployment, 1600, TimePoint::start(), 4) == std::vector<std::int32_t>{6, 12, 20, 20});
  CHECK(hpa.status().current_utilization == 80);
  CHECK(hpa.status().ready_pods == 20);
}

TEST_CASE("HPA without behavior (legacy) scales 2 -> 4 -> 8 -> 16 -> 20", "[hpa]") {
  HorizontalPodAutoscaler hpa(spec_1_to_20(std::nullopt));
  EvenlyLoadedDeployment deployment(2);
  // Stabilized = max of the recommendations of the last 5 min = 20; each
  // sync may at most reach min(maxReplicas, max(2 x current, 4)):
  //   t =  0 s:  2 -> min(20, max(4, 4))   = 4
  //   t = 15 s:  4 -> min(20, max(8, 4))   = 8
  //   t = 30 s:  8 -> min(20, max(16, 4))  = 16
  //   t = 45 s: 16 -> min(20, max(32, 4))  = 20
  //   t = 60 s: 20 -> util 80 %: no change
  CHECK(run(hpa, deployment, 1600, TimePoint::start(), 5) == std::vector<std::int32_t>{4, 8, 16, 20, 20});
}

TEST_CASE("HPA with default behavior scales down in one step to 5 once the last high recommendation leaves the "
          "300 s window",
          "[hpa]") {
  HorizontalPodAutoscaler hpa(spec_1_to_20(HpaBehavior{}));
  EvenlyLoadedDeployment deployment(2);
  // High demand at t = 0, 15, 30, 45 s: 2 -> 6 -> 12 -> 20 -> 20. Every one
  // of those syncs recommends 20; the last at t = 45 s.
  REQUIRE(run(hpa, deployment, 1600, TimePoint::start(), 4) == std::vector<std::int32_t>{6, 12, 20, 20});

  // From t = 60 s demand is 400m: util = floor(400 / 2000 x 100) = 20 %,
  // ratio 0.25, proposal ceil(0.25 x 20) = 5. The scale-down window keeps
  // the highest recommendation newer than now - 300 s, which is 20 while the
  // t = 45 s sample is inside: through t = 330 s (45 > 330 - 300). At
  // t = 345 s it is exactly 300 s old, outside, and every sample in the
  // window says 5. The policy (100 % per 15 s) allows 20 x (1 - 1) = 0, so
  // minReplicas and the recommendation bind: one step from 20 to 5.
  const auto low = run(hpa, deployment, 400, at(60_s), 20);  // t = 60 .. 345 s
  const std::vector<std::int32_t> expected = {20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
                                              20, 20, 20, 20, 20, 20, 20, 20, 20, 5};
  CHECK(low == expected);
  CHECK(hpa.status().metric_replicas == 5);
  CHECK(hpa.status().current_utilization == 20);

  SECTION("and stays at 5, where 400m is 80 % of the requests") {
    // At 5 replicas: util = floor(400 / 500 x 100) = 80 %, ratio 1.0.
    CHECK(deployment.sync(hpa, 400, at(360_s)) == 5);
  }
}

TEST_CASE("HPA without behavior keeps a recommendation exactly 300 s old, so it scales down one sync later", "[hpa]") {
  HorizontalPodAutoscaler hpa(spec_1_to_20(std::nullopt));
  EvenlyLoadedDeployment deployment(2);
  REQUIRE(run(hpa, deployment, 1600, TimePoint::start(), 5) == std::vector<std::int32_t>{4, 8, 16, 20, 20});
  // The last recommendation of 20 is at t = 60 s. The legacy window drops
  // only samples strictly older than now - 300 s, so it still binds at
  // t = 360 s and lets go at t = 375 s; legacy has no scale-down rate limit,
  // so the count drops straight to the proposal 5.
  const auto low = run(hpa, deployment, 400, at(75_s), 20);  // t = 75 .. 360 s
  CHECK(low == std::vector<std::int32_t>(20, 20));
  CHECK(deployment.sync(hpa, 400, at(375_s)) == 5);
}

TEST_CASE("HPA ignores not-ready pods on a scale-up (they count as 0 %) and keeps the count if the direction flips",
          "[hpa]") {
  // Four pods requesting 100m, target 80 %. Two ready pods use 100m each;
  // two pods created 20 s ago are not ready yet and burn 200m each starting up.
  const TimePoint now = at(10_min);
  std::vector<HpaPodSample> pods = {pod_using(100, now), pod_using(100, now), pod_using(200, now),
                                    pod_using(200, now)};
  for (std::size_t i = 2; i < 4; ++i) {
    pods[i].ready = false;
    pods[i].start_time = now - 20_s;
    pods[i].ready_transition_time = now - 20_s;
  }
  HpaSpec spec = spec_1_to_20(HpaBehavior{});

  SECTION("not-ready pods are left out, then counted at 0 %: direction flips, stay at 4") {
    // First pass over the two ready pods: util = 200 / 200 = 100 %, ratio 1.25 (up).
    // Second pass with the two not-ready pods at 0: util = floor(200 / 400 x 100) = 50 %,
    // ratio 0.625, which points down: the controller keeps 4.
    HorizontalPodAutoscaler hpa(spec);
    CHECK(hpa.recommend(4, pods, now) == 4);
    CHECK(hpa.status().ready_pods == 2);
    CHECK(hpa.status().unready_pods == 2);
    CHECK(hpa.status().current_utilization == 100);
  }
  SECTION("were they ready, their start-up CPU would have scaled the Deployment to 8") {
    // util = floor(600 / 400 x 100) = 150 %, ratio 1.875, proposal ceil(7.5) = 8.
    for (auto& p : pods) p = pod_using(p.usage.millicores(), now);
    HorizontalPodAutoscaler hpa(spec);
    CHECK(hpa.recommend(4, pods, now) == 8);
  }
  SECTION("pending pods are treated like not-ready ones") {
    for (std::size_t i = 2; i < 4; ++i) {
      pods[i] = pod_using(0, now);
      pods[i].phase = PodPhase::pending;
      pods[i].has_metric = false;
    }
    HorizontalPodAutoscaler hpa(spec);
    CHECK(hpa.recommend(4, pods, now) == 4);
    CHECK(hpa.status().unready_pods == 2);
  }
}

TEST_CASE("HPA leaves out CPU samples from the initialization period and from pods that were never ready", "[hpa]") {
  // Pod A is ready and long-running at 100m (125 %). Pod B reports 300m.
  // B counted:  util = floor(400 / 200 x 100) = 200 %, ratio 2.5, proposal ceil(5.0) = 5.
  // B left out: first pass over A alone gives ratio 1.25 (up); with B at 0 %
  //             util = floor(100 / 200 x 100) = 50 %, ratio 0.625: direction flips, stay at 2.
  const TimePoint now = at(1_h);
  auto proposal_with = [&](HpaPodSample b) {
    HorizontalPodAutoscaler hpa(spec_1_to_20(HpaBehavior{}));
    const std::vector<HpaPodSample> pods = {pod_using(100, now), b};
    hpa.recommend(2, pods, now);
    return hpa.status().metric_replicas;
  };
  HpaPodSample b = pod_using(300, now);

  SECTION("within the 5 min CPU initialization period") {
    b.start_time = now - 2_min;
    SECTION("a pod ready for less than one metric window is left out") {
      b.ready_transition_time = now - 10_s;  // 10 s < the 15 s window: the sample covers start-up
      CHECK(proposal_with(b) == 2);
    }
    SECTION("a pod ready for a full metric window counts") {
      b.ready_transition_time = now - 15_s;
      CHECK(proposal_with(b) == 5);
    }
    SECTION("an unready pod is left out") {
      b.ready = false;
      b.ready_transition_time = now - 1_min;
      CHECK(proposal_with(b) == 2);
    }
  }
  SECTION("after the initialization period") {
    b.start_time = now - 10_min;
    b.ready = false;
    SECTION("an unready pod whose Ready condition last changed within 30 s of start never was ready: left out") {
      b.ready_transition_time = b.start_time + 20_s;
      CHECK(proposal_with(b) == 2);
    }
    SECTION("an unready pod that turned unready later had been ready: its sample counts") {
      b.ready_transition_time = b.start_time + 5_min;
      CHECK(proposal_with(b) == 5);
    }
  }
}

TEST_CASE("HPA counts pods without metrics as 100 % on a scale-down and 0 % on a scale-up", "[hpa]") {
  const TimePoint now = at(1_h);
  HpaPodSample missing = pod_using(0, now);
  missing.has_metric = false;
  HpaSpec spec = spec_1_to_20(HpaBehavior{});
  spec.behavior->scale_down.stabilization_window = Duration::zero();  // show the proposal directly

  SECTION("scale-down") {
    // Three pods at 20m: util 20 %, ratio 0.25 (down). The missing pod at
    // 100 %: util = floor((60 + 100) / 400 x 100) = 40 %, ratio 0.5,
    // proposal ceil(0.5 x 4) = 2 (ignoring it would give ceil(0.25 x 3) = 1).
    HorizontalPodAutoscaler hpa(spec);
    const std::vector<HpaPodSample> pods = {pod_using(20, now), pod_using(20, now), pod_using(20, now), missing};
    CHECK(hpa.recommend(4, pods, now) == 2);
    CHECK(hpa.status().missing_pods == 1);
  }
  SECTION("scale-up") {
    // Three pods at 110m: util 110 %, ratio 1.375 (up). The missing pod at
    // 0 %: util = floor(330 / 400 x 100) = 82 %, ratio 1.025, inside the
    // tolerance: stay at 4 (ignoring it would give ceil(1.375 x 3) = 5).
    HorizontalPodAutoscaler hpa(spec);
    const std::vector<HpaPodSample> pods = {pod_using(110, now), pod_using(110, now), pod_using(110, now), missing};
    CHECK(hpa.recommend(4, pods, now) == 4);
  }
}

TEST_CASE("HPA does not scale while |1 - utilization / target| <= 0.1", "[hpa]") {
  // Ten pods at u millicores of a 100m request: util = u %, ratio u / 80.
  const TimePoint now = at(1_h);
  HpaSpec spec = spec_1_to_20(HpaBehavior{});
  spec.behavior->scale_down.stabilization_window = Duration::zero();
  auto recommend_at = [&](std::int64_t u) {
    HorizontalPodAutoscaler hpa(spec);
    const std::vector<HpaPodSample> pods(10, pod_using(u, now));
    return hpa.recommend(10, pods, now);
  };
  CHECK(recommend_at(73) == 10);  // ratio 0.9125
  CHECK(recommend_at(87) == 10);  // ratio 1.0875
  CHECK(recommend_at(71) == 9);   // ratio 0.8875: ceil(8.875)
  CHECK(recommend_at(89) == 12);  // ratio 1.1125: ceil(11.125)
  // The edges are decided in binary floating point, as the controller does:
  // 72/80 = 0.9 gives 1 - 0.9 = 0.0999..98 (inside); 88/80 = 1.1 gives
  // |1 - 1.1| = 0.1000..09 (outside), ceil(1.1 x 10) = 11.
  CHECK(recommend_at(72) == 10);
  CHECK(recommend_at(88) == 11);
}

TEST_CASE("HPA keeps replicas within minReplicas and maxReplicas", "[hpa]") {
  const TimePoint now = at(1_h);
  HpaSpec spec = spec_1_to_20(HpaBehavior{});
  spec.min_replicas = 2;
  spec.max_replicas = 5;
  spec.behavior->scale_down.stabilization_window = Duration::zero();
  const std::vector<HpaPodSample> idle(3, pod_using(0, now));
  const std::vector<HpaPodSample> busy(3, pod_using(400, now));

  // Idle: util 0 %, proposal ceil(0 x 3) = 0, raised to minReplicas 2.
  CHECK(HorizontalPodAutoscaler(spec).recommend(3, idle, now) == 2);
  // Busy: util 400 %, ratio 5, proposal 15; the policies allow max(3 + 4, 6) = 7; maxReplicas 5.
  CHECK(HorizontalPodAutoscaler(spec).recommend(3, busy, now) == 5);
  // Outside the range the controller moves straight to the bound, metrics unseen.
  CHECK(HorizontalPodAutoscaler(spec).recommend(9, busy, now) == 5);
  CHECK(HorizontalPodAutoscaler(spec).recommend(1, idle, now) == 2);
  // A Deployment scaled to 0 by hand is left alone.
  CHECK(HorizontalPodAutoscaler(spec).recommend(0, {}, now) == 0);
}

TEST_CASE("HPA scaling policies: Pods vs Percent, selectPolicy Min and Disabled, periods", "[hpa]") {
  // Ten pods at 320 %: ratio 4, proposal 40; maxReplicas 100, so only the policies bind.
  const TimePoint now = at(1_h);
  HpaSpec spec = spec_1_to_20(HpaBehavior{});
  spec.max_replicas = 100;
  const std::vector<HpaPodSample> busy(10, pod_using(320, now));
  auto& up = spec.behavior->scale_up;

  SECTION("Max of {4 pods, 100 %} picks 100 %: 10 -> 20") {
    CHECK(HorizontalPodAutoscaler(spec).recommend(10, busy, now) == 20);
  }
  SECTION("Min of {4 pods, 100 %} picks 4 pods: 10 -> 14") {
    up.select_policy = ScalingPolicySelect::min;
    CHECK(HorizontalPodAutoscaler(spec).recommend(10, busy, now) == 14);
  }
  SECTION("Disabled: no scale-up at all") {
    up.select_policy = ScalingPolicySelect::disabled;
    CHECK(HorizontalPodAutoscaler(spec).recommend(10, busy, now) == 10);
  }
  SECTION("Percent rounds up: 50 % of 3 allows ceil(4.5) = 5") {
    up.policies = {{ScalingPolicyType::percent, 50, 15_s}};
    const std::vector<HpaPodSample> three(3, pod_using(320, now));
    CHECK(HorizontalPodAutoscaler(spec).recommend(3, three, now) == 5);
  }
  SECTION("changes within periodSeconds count against the policy") {
    // 4 pods per 60 s, syncs every 15 s: 10 -> 14, then the period still
    // holds the +4 (start 10, limit 14) until the event is 60 s old.
    up.policies = {{ScalingPolicyType::pods, 4, 60_s}};
    HorizontalPodAutoscaler hpa(spec);
    auto pods_at = [&](std::int32_t n, TimePoint t) {
      // Keep the proposal high: 320m per pod whatever the count.
      return std::vector<HpaPodSample>(static_cast<std::size_t>(n), pod_using(320, t));
    };
    CHECK(hpa.recommend(10, pods_at(10, now), now) == 14);
    CHECK(hpa.recommend(14, pods_at(14, now + 15_s), now + 15_s) == 14);
    CHECK(hpa.recommend(14, pods_at(14, now + 45_s), now + 45_s) == 14);
    CHECK(hpa.recommend(14, pods_at(14, now + 60_s), now + 60_s) == 18);  // the +4 at `now` is 60 s old
  }
}

TEST_CASE("HPA leaves the count alone when no pod has a usable metric", "[hpa]") {
  const TimePoint now = at(1_h);
  HpaPodSample missing = pod_using(0, now);
  missing.has_metric = false;
  HorizontalPodAutoscaler hpa(spec_1_to_20(HpaBehavior{}));
  const std::vector<HpaPodSample> pods(3, missing);
  CHECK(hpa.recommend(3, pods, now) == 3);
  CHECK_FALSE(hpa.status().metrics_valid);
}

TEST_CASE("HPA rejects specs the API server would refuse", "[hpa]") {
  HpaSpec spec;
  spec.min_replicas = 3;
  spec.max_replicas = 2;
  CHECK_THROWS_AS(HorizontalPodAutoscaler(spec), HpaSpecError);
  spec = HpaSpec{};
  spec.behavior = HpaBehavior{};
  spec.behavior->scale_up.policies = {{ScalingPolicyType::pods, 4, 0_s}};
  CHECK_THROWS_WITH(HorizontalPodAutoscaler(spec), Catch::Contains("periodSeconds"));
}

TEST_CASE("CpuQuantity turns CPU time over a window into millicores, rounded down", "[hpa]") {
  CHECK(CpuQuantity::average_usage(1500_ms, 15_s).millicores() == 100);  // 1.5 s of CPU in 15 s = 0.1 core
  CHECK(CpuQuantity::average_usage(1499_ms, 15_s).millicores() == 99);   // 99.93m
  CHECK(CpuQuantity::cores(2) == CpuQuantity::millicores(2000));
}
