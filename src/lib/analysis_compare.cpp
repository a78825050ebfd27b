// drsim compare: architectures x faults, read from a plan file.
#include "drsim/analysis/compare.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "drsim/scenario/model_error.hpp"
#include "field_reader.hpp"

namespace drsim {

namespace {

using detail::json;

const json& member(const std::string& file, const json& obj, const std::string& path, const std::string& key,
                   bool (json::*is)() const, const std::string& expected) {
  const std::string where = path.empty() ? key : path + "." + key;
  if (!obj.contains(key)) throw ModelError(file, where, expected, "nothing (the field is required)");
  const json& v = obj[key];
  if (!(v.*is)()) throw ModelError(file, where, expected, detail::describe(v));
  return v;
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

}  // namespace

ComparePlan load_compare_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelError(path, "", "a readable JSON file", "a file that cannot be opened");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw ModelError(path, "", "JSON", e.what());
  }
  if (!doc.is_object()) throw ModelError(path, "", "an object with architectures and faults", detail::describe(doc));
  ComparePlan plan;
  plan.at_json = doc.contains("at") ? doc["at"].dump() : "\"150s\"";
  const json& archs = member(path, doc, "", "architectures", &json::is_array, "an array of architectures");
  for (std::size_t i = 0; i < archs.size(); ++i) {
    const std::string where = "architectures[" + std::to_string(i) + "]";
    if (!archs[i].is_object()) throw ModelError(path, where, "an object", detail::describe(archs[i]));
    ComparePlan::Architecture a;
    a.name = member(path, archs[i], where, "name", &json::is_string, "a name").get<std::string>();
    a.title = archs[i].value("title", a.name);
    if (archs[i].contains("set")) {
      const json& set = member(path, archs[i], where, "set", &json::is_object, "an object of override values by path");
      for (auto it = set.begin(); it != set.end(); ++it)
        a.sets.push_back({it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump()});
    }
    plan.architectures.push_back(std::move(a));
  }
  const json& faults = member(path, doc, "", "faults", &json::is_array, "an array of faults");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const std::string where = "faults[" + std::to_string(i) + "]";
    if (!faults[i].is_object()) throw ModelError(path, where, "an object", detail::describe(faults[i]));
    ComparePlan::Fault f;
    f.name = member(path, faults[i], where, "name", &json::is_string, "a name").get<std::string>();
    json fault = member(path, faults[i], where, "fault", &json::is_object, "a fault object").get<json>();
    fault["at"] = json::parse(plan.at_json);
    f.json = json::array({fault}).dump();
    plan.faults.push_back(std::move(f));
  }
  return plan;
}

std::vector<CompareRow> compare(const Scenario& base, const ComparePlan& plan, const RunOptions& options) {
  std::vector<CompareRow> rows;
  for (const auto& f : plan.faults) {
    for (const auto& a : plan.architectures) {
      std::vector<Override> sets = a.sets;
      sets.push_back({"faults", f.json});
      Scenario sc = base;
      sc.set(sets);
      RunOptions o = options;
      o.progress = {};
      const Result r = run(sc, o);
      CompareRow row{f.name, a.name, r.replications().at("failed_pct")};
      const auto& reps = r.replications();
      if (const auto e = reps.find("ejections"); e != reps.end()) row.ejections = e->second.mean;
      if (const auto t = reps.find("retries"); t != reps.end()) row.retries = t->second.mean;
      rows.push_back(std::move(row));
      if (options.progress) options.progress(rows.size(), plan.faults.size() * plan.architectures.size());
    }
  }
  return rows;
}

std::string compare_report(const ComparePlan& plan, const std::vector<CompareRow>& rows) {
  std::ostringstream o;
  o << "failed % of requests, mean [95 % interval]; ejections / retries per run (mesh section only)\n";
  for (const auto& a : plan.architectures) o << "  " << a.title << "\n";
  std::string fault;
  for (const auto& r : rows) {
    if (r.fault != fault) o << "\n" << (fault = r.fault) << "\n";
    o << "  " << r.architecture << "  " << fixed(r.failed_pct.mean, 3) << " [" << fixed(r.failed_pct.lo, 3) << ", "
      << fixed(r.failed_pct.hi, 3) << "]";
    if (r.ejections == r.ejections) o << "  ejections " << fixed(r.ejections, 1) << ", retries " << fixed(r.retries, 1);
    o << "\n";
  }
  return o.str();
}

std::string compare_json(const std::vector<CompareRow>& rows, int indent) {
  json out = json::array();
  for (const auto& r : rows) {
    json row = {{"fault", r.fault}, {"architecture", r.architecture}, {"failed_pct", r.failed_pct.mean},
                {"lo", r.failed_pct.lo}, {"hi", r.failed_pct.hi}};
    row["ejections"] = r.ejections == r.ejections ? json(r.ejections) : json(nullptr);
    row["retries"] = r.retries == r.retries ? json(r.retries) : json(nullptr);
    out.push_back(std::move(row));
  }
  return out.dump(indent);
}

}  // namespace drsim
