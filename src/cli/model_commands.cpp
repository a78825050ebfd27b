// drsim validate, drsim init, drsim report: checking a model file, starting
// one for a new topology, and a report to share.
#include "commands.hpp"

#include <drsim/drsim.hpp>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#ifndef DRSIM_SOURCE_DIR
#define DRSIM_SOURCE_DIR ""
#endif
#ifndef DRSIM_PYTHON_EXECUTABLE
#define DRSIM_PYTHON_EXECUTABLE ""
#endif

namespace drsim::cli {

namespace {

const std::string kValidateUsage =
    "usage: drsim validate MODEL [--set PATH=VALUE ...]\n"
    "         reads and checks a model file (and overrides) without running it: exit 0 when it would run,\n"
    "         2 with the file, JSON path, what was expected and what was found when it would not\n"
    "  e.g. drsim validate models/asm-gtm-drill.json\n";

const std::string kInitUsage =
    "usage: drsim init --regions N [options] > model.json\n"
    "         writes a complete model (strict JSON) for N regions to stdout, every choice explained in its notes:\n"
    "         one cluster and gateway per region behind a GTM, a fortio client, the last region's gateway\n"
    "         deleted mid-run\n"
    "         --regions N          regions, 2 to 16 (required)\n"
    "         --gtm G              alibaba (default: TCP probes every 15 s from 3 nodes, unhealthy after 3\n"
    "                              failures on more than half of them, TTL 60 s) or route53 (TCP checks every\n"
    "                              30 s from 8 checker regions, healthy while more than 18 % say so, fail open)\n"
    "         --client P           a client profile (default fortio-first; drsim explain clients[].profile lists them)\n"
    "         --qps Q              fortio -qps (default 100)\n"
    "         --duration D         fortio -t (default 300s)\n"
    "         --mesh M             locality-failover: one Istio control plane in region-1 (primary-remote),\n"
    "                              Bookinfo behind every gateway, outlier detection and locality failover\n"
    "                              between clusters; the fault becomes the last region's app pods going down\n"
    "  e.g. drsim init --regions 3 --gtm route53 --client fortio-first > three-regions.json\n";

const std::string kReportUsage =
    "usage: drsim report MODEL --out report.html [options]\n"
    "         runs the model and writes one self-contained HTML file (plots embedded, no network needed):\n"
    "         headline figures with intervals, assumptions and warnings, timeline, traffic split,\n"
    "         replication distribution, drain curve, the model file. The plots come from the Python\n"
    "         package (matplotlib): python3 must find drsim (PYTHONPATH, pip install, or a build tree)\n"
    "         --out FILE           the HTML file to write (required)\n"
    "         --replications R     replications (default 20)\n"
    "         --seed N             base seed (default 1)\n"
    "         --set PATH=VALUE     an override (repeatable)\n"
    "         --title TEXT         the question the report answers (default: the model's description)\n"
    "  e.g. drsim report models/asm-gtm-drill.json --replications 50 --out drill-report.html\n";

using nlohmann::ordered_json;

std::string value_of(const std::vector<std::string>& args, std::size_t& i) {
  if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
  return args[++i];
}

/// A probe site's RTT to a region: spread so that sites differ, as real ones do.
std::string probe_rtt(std::size_t site, std::size_t region) {
  return std::to_string(10 + static_cast<int>((site * 7 + region * 11) % 30)) + "ms";
}

ordered_json gateway_json(std::size_t region) {
  ordered_json g;
  g["address"] = "gw-" + std::to_string(region);
  g["service_time"] = {{"lognormal", {{"mean", "3ms"}, {"stddev", "1ms"}}}};
  g["load_balancer"] = {{"health_check_interval", "2s"}, {"unhealthy_threshold", 3}, {"when_no_backend", "refuse"},
                        {"external_traffic_policy", "Cluster"}};
  g["replicas"] = 2;
  g["pod"] = {{"workers", 2}, {"cpu_per_request", {{"exponential", "1.1ms"}}}, {"max_pending", 1024},
              {"startup_time", {{"uniform", {"5s", "10s"}}}}};
  g["cpu_request"] = "100m";
  g["rate_limit"] = {{"fill_interval", "1s"}, {"quota", 100}, {"refill", "timer"}, {"port", 80}};
  g["hpa"] = {{"min_replicas", 1}, {"max_replicas", 5}, {"target_cpu_utilization", 80}};
  return g;
}

}  // namespace

const std::string& validate_usage() { return kValidateUsage; }
const std::string& init_usage() { return kInitUsage; }
const std::string& report_usage() { return kReportUsage; }

int validate_command(const std::vector<std::string>& args) {
  std::string model;
  std::vector<Override> sets;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--set") {
      const std::string kv = value_of(args, i);
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--set expects PATH=VALUE, found \"" + kv + "\"");
      sets.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
    } else if (!a.empty() && a[0] == '-') throw UsageError("unknown option " + a);
    else if (model.empty()) model = a;
    else throw UsageError("more than one model given: " + model + " and " + a);
  }
  if (model.empty()) throw UsageError("drsim validate needs a model file");
  Scenario sc = Scenario::load(model);
  for (const auto& s : sets) sc.set(s.path, s.value);
  const ModelSpec& spec = sc.spec();
  check_model(spec);
  std::cout << model << ": ok (" << spec.topology.regions().size() << " regions, " << spec.topology.clusters().size()
            << " clusters, " << spec.populations.size() << " client population(s), " << spec.faults.size()
            << " fault(s), about " << static_cast<long long>(expected_requests(spec)) << " requests per replication)\n";
  for (const auto& w : sc.warnings()) std::cout << "warning: " << w << "\n";
  return 0;
}

int init_command(const std::vector<std::string>& args) {
  long long regions = 0;
  std::string gtm = "alibaba", client = "fortio-first", duration = "300s";
  double qps = 100;
  bool mesh = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--regions") regions = parse_whole(a, value_of(args, i), 2, 16);
    else if (a == "--gtm") {
      gtm = value_of(args, i);
      if (gtm != "alibaba" && gtm != "route53") throw UsageError("--gtm expects alibaba or route53, found \"" + gtm + "\"");
    } else if (a == "--client") {
      client = value_of(args, i);
      const auto names = client_preset_names();
      if (std::find(names.begin(), names.end(), client) == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw UsageError("--client expects a client profile (" + list + "), found \"" + client + "\"");
      }
    } else if (a == "--qps") {
      const std::string v = value_of(args, i);
      char* end = nullptr;
      qps = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !(qps > 0 && qps <= 1e6)) throw UsageError("--qps expects a rate from 0 to 1e6, found \"" + v + "\"");
    } else if (a == "--duration") {
      duration = value_of(args, i);
      try {
        if (parse_duration(duration) <= Duration::zero()) throw TimeError("must be positive");
      } catch (const TimeError& e) {
        throw UsageError("--duration expects a positive duration such as 300s, found \"" + duration + "\" (" + e.what() + ")");
      }
    } else if (a == "--mesh") {
      const std::string m = value_of(args, i);
      if (m != "locality-failover") throw UsageError("--mesh expects locality-failover, found \"" + m + "\"");
      mesh = true;
    } else throw UsageError("unknown option " + a);
  }
  if (regions == 0) throw UsageError("drsim init needs --regions N (2 to 16)");
  const auto n = static_cast<std::size_t>(regions);
  const bool aws = gtm == "route53";
  const std::size_t probes = aws ? 8 : 3;
  const double total = qps * parse_duration(duration).seconds_f();
  const std::string last = "cluster-" + std::to_string(n);

  ordered_json m;
  m["name"] = "init-" + std::to_string(n) + "-regions-" + gtm + (mesh ? "-mesh" : "");
  m["description"] = std::to_string(n) + " regions behind " + (aws ? "Route 53 failover records" : "Alibaba GTM") +
                     ", a " + client + " client at " + std::to_string(static_cast<long long>(qps)) +
                     " qps, " + (mesh ? "Istio locality failover behind the gateways, the app pods of " + last + " down mid-run"
                                          : "the gateway of " + last + " deleted mid-run") +
                     " (written by drsim init).";
  std::vector<std::string> notes = {
      "Written by `drsim init --regions " + std::to_string(n) + " --gtm " + gtm + " --client " + client +
          "`: a starting point; every value below is a choice a real deployment should check.",
      "Regions: " + std::to_string(n) + " regions, one cluster each (region-i runs cluster-i), each with an ingress "
          "gateway at address gw-i, as in the seed drill's dual-region layout.",
      "Gateways: as in the seed drill: 2 replicas of 2 Envoy workers, CPU per request exponential with mean 1.1 ms, the "
          "seed's ASMLocalRateLimiter (quota 100 per pod per second, timer refill), the Istio chart's HPA (min 1, max 5, "
          "80 % of a 100m request), an application that adds lognormal 3 ms; the CLB keeps nodes registered "
          "(externalTrafficPolicy Cluster), so a deleted gateway refuses connections.",
      std::string("GTM: ") +
          (aws ? "Route 53 health checks: TCP every 30 s (the standard interval) from 8 checker regions on their own "
                 "phases, 10 s timeout (TCP), unhealthy after 3 consecutive failures (the default), healthy while more "
                 "than 18 % of checkers say so, failing open when every address is down; TTL 60 s (AWS advises 60 s "
                 "or less)."
               : "Alibaba GTM: TCP probes every 15 s (the minimum, top edition) from 3 probe nodes on their own "
                 "phases, 2 s timeout, unhealthy after 3 consecutive failures on more than 50 % of the nodes, TTL "
                 "60 s (a GTM 2.0 value), answer = every healthy address in random order, publish delay 0."),
      "Resolver: one unbound with its defaults (rrset-roundrobin on), shared by the client.",
      "Client: profile " + client + " (drsim explain clients[].profile), fortio load -c 1 -qps " +
          std::to_string(static_cast<long long>(qps)) + " -t " + duration + " -keepalive=False (" +
          std::to_string(static_cast<long long>(total)) + " calls), from a host 1 ms from every region.",
      "Fault: the gateway Deployment of " + last + " is deleted at a time drawn per replication uniformly in the "
          "middle third of the run.",
      "Probe and checker sites sit 10 to 40 ms from the regions (spread so that they differ)."};
  if (mesh) {
    // The gateway-deletion fault note does not apply: the mesh model's fault is the app going down.
    notes.erase(std::find_if(notes.begin(), notes.end(), [](const std::string& x) { return x.rfind("Fault:", 0) == 0; }));
    notes.push_back(
        "Mesh (--mesh locality-failover): one istiod in cluster-1 configures every cluster (primary-remote), the "
        "clusters on separate networks reach each other through east-west gateways; Bookinfo runs behind every "
        "gateway with ASM's cluster-local traffic retention off (on, calls could not leave their cluster), the regions "
        "30 ms apart (assumed), each proxy prefers its own cluster's endpoints and fails over to the others when outlier "
        "detection ejects them (5 consecutive 5xx, 10 s interval, 30 s base ejection, max_ejection_percent 100 "
        "so a small service can fail over), 2 retries (Istio 1.24+), istiod's 100 ms / 10 s debounce plus "
        "500 ms push delay; as in models/asm-mesh-locality-failover.json.");
    notes.push_back("Fault (mesh): the application pods of " + last +
                    " go down at a time drawn uniformly in the middle third of the run, its gateway stays up (TCP "
                    "probes pass, so GTM keeps the address): the mesh fails over, DNS does not.");
  }
  m["notes"] = notes;

  ordered_json regs = ordered_json::array();
  for (std::size_t r = 1; r <= n; ++r)
    regs.push_back({{"name", "region-" + std::to_string(r)}, {"cluster", "cluster-" + std::to_string(r)},
                    {"gateway", gateway_json(r)}});
  if (mesh)
    for (std::size_t r = 1; r <= n; ++r) {
      // East-west traffic needs a path between the regions: every pair 30 ms apart (assumed).
      ordered_json links = ordered_json::object();
      for (std::size_t o = r + 1; o <= n; ++o) links["region-" + std::to_string(o)] = "30ms";
      if (!links.empty()) regs[r - 1]["links"] = links;
    }
  if (mesh)
    for (auto& r : regs) {
      r["gateway"]["app"] = "bookinfo";
      r["gateway"]["cluster_local"] = false;  // ASM's cluster-local retention would keep calls in the cluster
    }
  m["regions"] = regs;

  ordered_json sites = ordered_json::array();
  ordered_json links = ordered_json::object();
  for (std::size_t r = 1; r <= n; ++r) links["region-" + std::to_string(r)] = "1ms";
  sites.push_back({{"name", "client-host"}, {"kind", "client"}, {"links", links}});
  std::vector<std::string> probe_names;
  for (std::size_t p = 0; p < probes; ++p) {
    const std::string name = (aws ? "checker-" : "probe-") + std::to_string(p + 1);
    probe_names.push_back(name);
    ordered_json pl = ordered_json::object();
    for (std::size_t r = 1; r <= n; ++r) pl["region-" + std::to_string(r)] = probe_rtt(p, r);
    sites.push_back({{"name", name}, {"kind", "probe"}, {"links", pl}});
  }
  m["sites"] = sites;

  ordered_json g;
  ordered_json hc;
  hc["protocol"] = "tcp";
  hc["interval"] = aws ? "30s" : "15s";
  hc["timeout"] = aws ? "10s" : "2s";
  hc["failures"] = 3;
  hc["recovery"] = 3;
  hc["nodes"] = probe_names;
  if (aws) hc["rule"] = {{"healthy_share_above", 0.18}};
  else hc["rule"] = {{"failing_share_above", 0.5}};
  g["health_check"] = hc;
  g["policy"] = "all_random";
  std::vector<std::string> pool;
  for (std::size_t r = 1; r <= n; ++r) pool.push_back("region-" + std::to_string(r));
  g["pools"] = {{"primary", pool}};
  g["min_available"] = 1;
  if (aws) g["when_all_down"] = "all_addresses";
  g["ttl"] = "60s";
  g["publish_delay"] = "0s";
  m["gtm"] = g;

  m["resolvers"] = ordered_json::array({{{"name", "unbound"}, {"preset", "unbound"}, {"rotation", "round_robin"}}});
  ordered_json load = {{"kind", "fortio"}, {"qps", qps}, {"connections", 1}, {"duration", duration},
                       {"catchup", true}, {"jitter", false}};
  m["clients"] = ordered_json::array({{{"name", "fortio"}, {"site", "client-host"}, {"profile", client},
                                       {"resolvers", "unbound"}, {"load", load}}});
  const double d = parse_duration(duration).seconds_f();
  auto secs = [](double s) { return std::to_string(static_cast<long long>(std::llround(s))) + "s"; };
  m["faults"] = ordered_json::array({{{"kind", mesh ? "app_down" : "gateway_deleted"},
                                      {"target", last},
                                      {"at", {{"uniform", {secs(d / 3), secs(2 * d / 3)}}}}}});
  if (mesh) {
    m["mesh"] = {{"control_plane", "primary_remote"},
                 {"primary", "cluster-1"},
                 {"networks", "multi_network"},
                 {"pod_gone", "refused"},
                 {"outlier_detection",
                  {{"consecutive_5xx_errors", 5}, {"interval", "10s"}, {"base_ejection_time", "30s"},
                   {"max_ejection_percent", 100}}},
                 {"retries", {{"attempts", 2}}},
                 {"istio", "1.24+"},
                 {"eds", {{"debounce_after", "100ms"}, {"debounce_max", "10s"}, {"push_delay", "500ms"}}}};
  }
  std::cout << m.dump(2) << "\n";
  return 0;
}

namespace {

/// The directory of this executable (for finding the Python package in a build tree).
std::filesystem::path self_dir() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path{} : p.parent_path();
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
  std::string model, out;
  std::vector<std::string> forward;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--out") out = value_of(args, i);
    else if (a == "--replications") forward.insert(forward.end(), {a, std::to_string(parse_whole(a, value_of(args, i), 1, 100000))});
    else if (a == "--seed") forward.insert(forward.end(), {a, std::to_string(parse_whole(a, value_of(args, i), 0, INT64_MAX))});
    else if (a == "--set" || a == "--title") forward.insert(forward.end(), {a, value_of(args, i)});
    else if (!a.empty() && a[0] == '-') throw UsageError("unknown option " + a);
    else if (model.empty()) model = a;
    else throw UsageError("more than one model given: " + model + " and " + a);
  }
  if (model.empty()) throw UsageError("drsim report needs a model file");
  if (out.empty()) throw UsageError("drsim report needs --out FILE.html");
  // The model is checked here, so a bad one gets the usual error and exit 2.
  Scenario sc = Scenario::load(model);
  for (std::size_t i = 0; i + 1 < forward.size(); ++i)
    if (forward[i] == "--set") {
      const std::string& kv = forward[i + 1];
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--set expects PATH=VALUE, found \"" + kv + "\"");
      sc.set(kv.substr(0, eq), kv.substr(eq + 1));
    }
  // The drawing is the Python package's: find it next to this build, or installed.
  std::string path;
  const std::filesystem::path build = self_dir().parent_path() / "python";
  if (std::filesystem::exists(build)) path += build.string();
  const std::string source = std::string(DRSIM_SOURCE_DIR) + "/python";
  if (!std::string(DRSIM_SOURCE_DIR).empty() && std::filesystem::exists(source)) path += (path.empty() ? "" : ":") + source;
  if (const char* old = std::getenv("PYTHONPATH"); old && *old) path += (path.empty() ? "" : ":") + std::string(old);
  // The interpreter: $DRSIM_PYTHON, else the one the build was configured with, else python3.
  std::string python = DRSIM_PYTHON_EXECUTABLE;
  if (const char* env = std::getenv("DRSIM_PYTHON"); env && *env) python = env;
  if (python.empty() || (python.find('/') != std::string::npos && !std::filesystem::exists(python))) python = "python3";
  std::vector<std::string> argv = {python, "-m", "drsim.report", model, "--out", out};
  argv.insert(argv.end(), forward.begin(), forward.end());
  std::vector<char*> cargs;
  for (auto& s : argv) cargs.push_back(s.data());
  cargs.push_back(nullptr);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot start python3 for the report");
  if (pid == 0) {
    if (!path.empty()) setenv("PYTHONPATH", path.c_str(), 1);
    execvp(cargs[0], cargs.data());
    std::perror("drsim: report: cannot run python3");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return 1;
  const int code = WEXITSTATUS(status);
  if (code == 127) std::cerr << "drsim: report needs python3 with numpy, pandas and matplotlib (set DRSIM_PYTHON to choose one)\n";
  return code == 0 ? 0 : (code == 2 ? 2 : 1);
}

}  // namespace drsim::cli
