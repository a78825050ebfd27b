// The drsim command-line tool: a thin front end over the library.
//
//   drsim run MODEL [--seed N] [--replications R] [--threads T] [--set path=value]...
//                   [--json | --format text|json|fortio|fortio-json] [--out DIR]
//   drsim demo
//
// Exit codes: 0 ok, 2 bad model or bad arguments, 1 anything else.
#include <drsim/drsim.hpp>
#include <drsim/scenario/reference.hpp>

#include "commands.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: drsim run MODEL [options]\n"
    "         --seed N            base seed (default 1)\n"
    "         --replications R    independent replications (default 1)\n"
    "         --threads T         worker threads (default: every core)\n"
    "         --set PATH=VALUE    override a model value, e.g. gtm.ttl=30s (repeatable)\n"
    "         --json              print the drsim.result/1 JSON document\n"
    "         --format F          text (default), json, fortio (summary only), fortio-json\n"
    "         --out DIR           write result.json, series.csv, events.csv to DIR\n"
    "       drsim explain [PATH] [--markdown]\n"
    "                             the model reference: every field path (one per line, the path first), one\n"
    "                             field's kind, unit, range, default, meaning and source, or the whole reference\n"
    "                             as Markdown (docs/model-reference.md)\n"
    "       drsim demo            a small demonstration of the engine\n"
    "       drsim --version\n";

using drsim::cli::UsageError;
using drsim::cli::parse_whole;

int demo() {
  // Three GTM-style probe nodes on their own phases, probing every 15 s for 5 simulated minutes.
  using namespace drsim::literals;
  drsim::Simulator sim{7};
  auto rng = sim.stream("demo/phases");
  int probes[3] = {0, 0, 0};
  struct Probe {
    int* count;
    void operator()() const { ++*count; }
  };
  for (int node = 0; node < 3; ++node) {
    const auto phase = drsim::Duration::from_seconds(rng.uniform(0, 15));
    sim.every_from(drsim::TimePoint::start() + phase, 15_s, Probe{&probes[node]},
                   drsim::EventTag{1, static_cast<std::uint16_t>(node)});
  }
  sim.run_until(drsim::TimePoint::start() + 5_min);
  std::cout << "drsim " << drsim::version() << " engine demo: 3 probe nodes, 15s interval, 5m\n";
  for (int node = 0; node < 3; ++node) std::cout << "  node " << node << ": " << probes[node] << " probes\n";
  std::cout << "  events executed: " << sim.executed_events() << "\n";
  return 0;
}


constexpr const char* kExplainUsage =
    "usage: drsim explain              every field path of a model file, one per line, the path first\n"
    "       drsim explain PATH         one field: kind, unit, range, default, meaning, public source\n"
    "                                  (PATH as in a model reference, regions[].gateway.replicas, or as an\n"
    "                                  override, regions.region-1.gateway.replicas)\n"
    "       drsim explain --markdown   the model reference (docs/model-reference.md is exactly this)\n";

int explain_command(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cout << drsim::explain_paths();
    return 0;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << kExplainUsage;
    return 0;
  }
  if (args.size() != 1) throw UsageError("drsim explain takes one PATH or --markdown\n" + std::string(kExplainUsage));
  if (args[0] == "--markdown") {
    std::cout << drsim::explain_markdown();
    return 0;
  }
  if (args[0].rfind("--", 0) == 0) throw UsageError("unknown option " + args[0] + "\n" + kExplainUsage);
  try {
    std::cout << drsim::explain_field(args[0]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return 0;
}

int run_command(const std::vector<std::string>& args) {
  std::string model, format = "text", out;
  bool has_out = false;
  drsim::RunOptions opts;
  std::vector<std::pair<std::string, std::string>> sets;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--seed") opts.seed = static_cast<std::uint64_t>(parse_whole(a, value(), 0, INT64_MAX));
    else if (a == "--replications") opts.replications = static_cast<int>(parse_whole(a, value(), 1, 10'000'000));
    else if (a == "--threads") opts.threads = static_cast<int>(parse_whole(a, value(), 1, 4096));
    else if (a == "--set") {
      const std::string kv = value();
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--set expects PATH=VALUE, found \"" + kv + "\"");
      sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--json") format = "json";
    else if (a == "--format") {
      format = value();
      if (format != "text" && format != "json" && format != "fortio" && format != "fortio-json")
        throw UsageError("--format expects text, json, fortio or fortio-json, found \"" + format + "\"");
    } else if (a == "--out") {
      out = value();
      has_out = true;
    }
    else if (!a.empty() && a[0] == '-') throw UsageError("unknown option " + a);
    else if (model.empty()) model = a;
    else throw UsageError("more than one model given: " + model + " and " + a);
  }
  if (model.empty()) throw UsageError("drsim run needs a model file");

  auto scenario = drsim::Scenario::load(model);
  for (const auto& [path, v] : sets) scenario.set(path, v);
  if (has_out) {
    try {
      drsim::prepare_output_dir(out);  // before the run, not after it
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  const drsim::Result result = drsim::run(scenario, opts);
  if (has_out) result.write(out);
  if (format == "json") std::cout << result.to_json() << "\n";
  else if (format == "fortio-json") std::cout << result.fortio_json() << "\n";
  else if (format == "fortio") std::cout << result.fortio_summary();
  else std::cout << result.replications_report() << result.fortio_summary() << result.report();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
      std::cout << "drsim " << drsim::version() << "\n";
      return 0;
    }
    if (args[0] == "demo") return demo();
    if (args[0] == "explain") return explain_command({args.begin() + 1, args.end()});
    if (args[0] == "run") return run_command({args.begin() + 1, args.end()});
    if (args[0] == "sweep") return drsim::cli::sweep_command({args.begin() + 1, args.end()});
    if (args[0] == "solve") return drsim::cli::solve_command({args.begin() + 1, args.end()});
    if (args[0] == "sensitivity") return drsim::cli::sensitivity_command({args.begin() + 1, args.end()});
    if (args[0] == "compare") return drsim::cli::compare_command({args.begin() + 1, args.end()});
    throw UsageError("unknown command \"" + args[0] + "\"");
  } catch (const drsim::ModelError& e) {
    std::cerr << "drsim: bad model: " << e.what() << "\n";
    return 2;
  } catch (const drsim::ParameterError& e) {
    // A limit only a component checks (an HPA window above 1 h): still the model's fault.
    std::cerr << "drsim: bad model (found when the run started): " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "drsim: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "drsim: error: " << e.what() << "\n";
    return 1;
  }
}
