// The drsim command-line tool: a thin front end over the library.
//
//   drsim COMMAND [options]      (drsim help lists the commands, drsim help COMMAND explains one)
//
// Exit codes: 0 ok, 2 bad model or bad arguments, 99 a --threshold not met,
// 1 anything else.
#include <drsim/drsim.hpp>
#include <drsim/analysis/solver.hpp>
#include <drsim/scenario/reference.hpp>

#include "commands.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

using drsim::cli::parse_whole;
using drsim::cli::UsageError;

const std::string kRunUsage =
    "usage: drsim run MODEL [options]       run the model's replications and print what they predict\n"
    "         --seed N            base seed (default 1)\n"
    "         --replications R    independent replications (default 1); with several the text leads with\n"
    "                             their means and 95 % intervals, then replication 0 as one possible drill\n"
    "         --threads T         worker threads (default: every core)\n"
    "         --set PATH=VALUE    override a model value, e.g. gtm.ttl=30s (repeatable; drsim explain lists paths)\n"
    "         --json              print the drsim.result/1 JSON document\n"
    "         --format F          text (default), json, fortio (fortio's text, line for line), fortio-json (fortio's\n"
    "                             JSON, every field); both show replication 0 and lead with the replications\n"
    "         --out DIR           write result.json, series.csv, events.csv, drain.csv to DIR\n"
    "         --threshold \"F<=X\" the mean of figure F over the replications must meet it, else exit 99\n"
    "                             (repeatable; also F>=X; drsim explain --markdown lists the figures)\n"
    "         --quiet             no progress bar on stderr\n"
    "         --max-requests N    allow more than 5e9 simulated requests in all\n"
    "         --max-runs N        allow more than 1e6 replications\n"
    "  e.g. drsim run models/asm-gtm-drill.json --replications 100 --set gtm.ttl=30s --threshold \"failed_pct<=10\"\n";

const std::string kExplainUsage =
    "usage: drsim explain              every field path of a model file, one per line, the path first\n"
    "       drsim explain PATH         one field: kind, unit, range, default, meaning, public source\n"
    "                                  (PATH as in a model reference, regions[].gateway.replicas, or as an\n"
    "                                  override, regions.region-1.gateway.replicas)\n"
    "       drsim explain --markdown   the model reference (docs/model-reference.md is exactly this)\n";

const std::string kDemoUsage = "usage: drsim demo     a small demonstration of the engine (no model file)\n";
const std::string kVersionUsage = "usage: drsim version  print drsim's version (also drsim --version)\n";
const std::string kHelpUsage = "usage: drsim help [COMMAND]   the commands, or one command's options\n";

int run_command(const std::vector<std::string>& args);
int explain_command(const std::vector<std::string>& args);
int demo_command(const std::vector<std::string>& args);
int version_command(const std::vector<std::string>& args);
int help_command(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;
  const std::string& (*usage)();
  int (*run)(const std::vector<std::string>&);
};

const std::string& run_usage() { return kRunUsage; }
const std::string& explain_usage() { return kExplainUsage; }
const std::string& demo_usage() { return kDemoUsage; }
const std::string& version_usage() { return kVersionUsage; }
const std::string& help_usage() { return kHelpUsage; }

const Command kCommands[] = {
    {"run", "run a model's replications: failed requests by cause, failure window, detection, drain", run_usage,
     run_command},
    {"sweep", "run a model at many settings (grids, samples) with common random numbers", drsim::cli::sweep_usage,
     drsim::cli::sweep_command},
    {"solve", "the smallest or largest value of a parameter that meets a target", drsim::cli::solve_usage,
     drsim::cli::solve_command},
    {"sensitivity", "which parameters move a figure most (elasticities with intervals)",
     drsim::cli::sensitivity_usage, drsim::cli::sensitivity_command},
    {"calibrate", "which settings could have produced a real drill (posterior over a grid)",
     drsim::cli::calibrate_usage, drsim::cli::calibrate_command},
    {"validate", "check a model file without running it", drsim::cli::validate_usage, drsim::cli::validate_command},
    {"init", "write a complete model for a new topology (N regions) to stdout", drsim::cli::init_usage,
     drsim::cli::init_command},
    {"report", "a self-contained HTML report of a model's run (plots by the Python package)",
     drsim::cli::report_usage, drsim::cli::report_command},
    {"compare", "failed % per fault under each architecture of a plan (GTM, mesh failover, both)",
     drsim::cli::compare_usage, drsim::cli::compare_command},
    {"explain", "the model reference: every field with its default and public source", explain_usage,
     explain_command},
    {"demo", "a small demonstration of the engine", demo_usage, demo_command},
    {"version", "print the version", version_usage, version_command},
    {"help", "list the commands, or explain one", help_usage, help_command},
};

const Command* find_command(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::string overview() {
  std::string s = "usage: drsim COMMAND [options]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    char line[200];
    std::snprintf(line, sizeof line, "  %-12s %s\n", c.name, c.summary);
    s += line;
  }
  s += "\n`drsim COMMAND --help` or `drsim help COMMAND` for a command's options. Exit codes: 0 ok, 2 bad model or\n"
       "arguments, 99 a --threshold not met, 1 anything else.\n";
  return s;
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

int help_command(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cout << overview();
    return 0;
  }
  const Command* c = find_command(args[0]);
  if (!c) throw UsageError("no command \"" + args[0] + "\"");
  std::cout << c->usage();
  return 0;
}

int version_command(const std::vector<std::string>&) {
  std::cout << "drsim " << drsim::version() << "\n";
  return 0;
}

int demo_command(const std::vector<std::string>&) {
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

int explain_command(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cout << drsim::explain_paths();
    return 0;
  }
  if (args.size() != 1) throw UsageError("drsim explain takes one PATH or --markdown");
  if (args[0] == "--markdown") {
    std::cout << drsim::explain_markdown();
    return 0;
  }
  if (args[0].rfind("--", 0) == 0) throw UsageError("unknown option " + args[0]);
  try {
    std::cout << drsim::explain_field(args[0]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return 0;
}

int run_command(const std::vector<std::string>& args) {
  std::string model, format = "text", out;
  bool has_out = false, quiet = false;
  drsim::RunOptions opts;
  drsim::cli::WorkLimits limits;
  std::vector<drsim::Override> sets;
  std::vector<drsim::Target> thresholds;
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
      sets.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
    } else if (a == "--json") format = "json";
    else if (a == "--format") {
      format = value();
      if (format != "text" && format != "json" && format != "fortio" && format != "fortio-json")
        throw UsageError("--format expects text, json, fortio or fortio-json, found \"" + format + "\"");
    } else if (a == "--out") {
      out = value();
      has_out = true;
    } else if (a == "--threshold") {
      try {
        thresholds.push_back(drsim::Target::parse(value()));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (a == "--quiet") quiet = true;
    else if (drsim::cli::work_limit_option(args, i, limits)) continue;
    else if (!a.empty() && a[0] == '-') throw UsageError("unknown option " + a);
    else if (model.empty()) model = a;
    else throw UsageError("more than one model given: " + model + " and " + a);
  }
  if (model.empty()) throw UsageError("drsim run needs a model file");

  auto scenario = drsim::Scenario::load(model);
  for (const auto& s : sets) scenario.set(s.path, s.value);
  drsim::cli::check_work(drsim::expected_requests(scenario.spec()), opts.replications, limits);
  if (has_out) {
    try {
      drsim::prepare_output_dir(out);  // before the run, not after it
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  drsim::cli::ProgressBar bar(!quiet && opts.replications > 1, "replications");
  if (auto draw = bar.callback()) opts.progress = [draw](std::size_t done, std::size_t n) { draw(done, n, done, n); };
  const drsim::Result result = drsim::run(scenario, opts);
  bar.finish();
  if (has_out) result.write(out);
  if (format == "json") std::cout << result.to_json() << "\n";
  else if (format == "fortio-json") std::cout << result.fortio_json() << "\n";
  else if (format == "fortio") std::cout << result.fortio_summary();
  else std::cout << result.replications_report() << result.fortio_digest() << result.report();

  // Thresholds: the mean over the replications (the one value with one).
  int status = 0;
  for (const auto& t : thresholds) {
    const auto it = result.replications().find(t.figure);
    if (it == result.replications().end()) {
      std::fprintf(stderr, "drsim: threshold %s: no replication reports %s\n", t.to_string().c_str(), t.figure.c_str());
      status = 99;
      continue;
    }
    const auto& ci = it->second;
    const bool met = t.op == drsim::Target::Op::at_most ? ci.mean <= t.bound : ci.mean >= t.bound;
    std::fprintf(stderr, "drsim: threshold %s %s: mean %.4g [%.4g, %.4g] over %llu replication(s)\n",
                 t.to_string().c_str(), met ? "met" : "NOT met", ci.mean, ci.lo, ci.hi,
                 static_cast<unsigned long long>(ci.n));
    if (!met) status = 99;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const Command* command = nullptr;
  try {
    if (args.empty()) {
      std::cerr << overview();
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h") return help_command({});
    if (args[0] == "--version") return version_command({});
    command = find_command(args[0]);
    if (!command) throw UsageError("unknown command \"" + args[0] + "\" (drsim help lists them)");
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (wants_help(rest)) {
      std::cout << command->usage();
      return 0;
    }
    return command->run(rest);
  } catch (const drsim::ModelError& e) {
    std::cerr << "drsim: bad model: " << e.what() << "\n";
    return 2;
  } catch (const drsim::ParameterError& e) {
    // A limit only a component checks: still the model's fault.
    std::cerr << "drsim: bad model (found when the run started): " << e.what() << "\n";
    return 2;
  } catch (const drsim::cli::WorkLimitError& e) {
    std::cerr << "drsim: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "drsim: " << e.what() << "\n" << (command ? command->usage() : overview());
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "drsim: error: " << e.what() << "\n";
    return 1;
  }
}
