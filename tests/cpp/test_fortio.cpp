// drsim's fortio formats: fortio's statistics (stats/stats.go), Go's number
// and duration printing, and `drsim run --format fortio|fortio-json` read
// back by the same reader as a result fortio itself wrote.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include <drsim/analysis/calibrate.hpp>
#include <drsim/fortio_text.hpp>
#include <drsim/core/random.hpp>
#include <drsim/model/fortio_stats.hpp>

#include "cli_runner.hpp"

using drsim::testing::drsim_cli;
using drsim::testing::source_path;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// What a reader of fortio's JSON relies on, checked the same way for a
/// result fortio wrote and for drsim's: field types, histogram buckets with
/// a cumulative percent ending at 100 and counts adding up, RetCodes by code.
void check_fortio_result(const nlohmann::json& j) {
  CHECK(j["RunType"] == "HTTP");
  CHECK(j["Labels"].is_string());
  CHECK(j["StartTime"].is_string());
  CHECK(j["RequestedQPS"].is_string());  // a string in fortio: "%.9g" or "max"
  CHECK(j["RequestedDuration"].is_string());
  CHECK(j["ActualQPS"].is_number());
  CHECK(j["ActualDuration"].is_number_integer());  // nanoseconds
  CHECK(j["NumThreads"].is_number_integer());
  const auto& h = j["DurationHistogram"];
  for (const char* k : {"Count", "Min", "Max", "Sum", "Avg", "StdDev"}) CHECK(h[k].is_number());
  long long count = 0;
  double previous = 0;
  for (const auto& b : h["Data"]) {
    CHECK(b["Start"].get<double>() <= b["End"].get<double>());
    CHECK(b["Percent"].get<double>() >= previous);
    previous = b["Percent"].get<double>();
    count += b["Count"].get<long long>();
  }
  CHECK(previous == Approx(100));
  CHECK(count == h["Count"].get<long long>());
  CHECK(h["Data"].front()["Start"].get<double>() == h["Min"].get<double>());
  CHECK(h["Data"].back()["End"].get<double>() == h["Max"].get<double>());
  for (const auto& p : h["Percentiles"]) {
    CHECK(p["Value"].get<double>() >= h["Min"].get<double>());
    CHECK(p["Value"].get<double>() <= h["Max"].get<double>());
  }
  long long codes = 0;
  for (const auto& [code, n] : j["RetCodes"].items()) {
    CHECK_NOTHROW(std::stoi(code));
    codes += n.get<long long>();
  }
  CHECK(codes == h["Count"].get<long long>());
  for (const char* k : {"URL", "NumConnections", "DisableKeepAlive", "HTTPReqTimeOut"}) CHECK(j.contains(k));
}

}  // namespace

TEST_CASE("fortio's histogram: buckets open on the left, export from min to max, interpolated percentiles", "[fortio]") {
  SECTION("fortio's documented example (README result.json): four calls under a millisecond") {
    // The four durations of the README's HTTP example; their sum, mean and
    // population standard deviation are the README's Sum, Avg and StdDev.
    drsim::FortioHistogram h;
    for (double v : {0.00027292, 0.000332887, 0.000795833, 0.000930407}) h.record(v);
    const auto d = h.export_data({50, 75, 90, 99, 99.9});
    CHECK(d.count == 4);
    CHECK(d.sum == Approx(0.002332047).epsilon(1e-12));
    CHECK(d.avg == Approx(0.00058301175).epsilon(1e-12));
    CHECK(d.stddev == Approx(0.00028491034912527755).epsilon(1e-9));
    REQUIRE(d.data.size() == 1);  // all in (0, 1 ms]: Start = Min, End = Max
    CHECK(d.data[0].start == 0.00027292);
    CHECK(d.data[0].end == 0.000930407);
    CHECK(d.data[0].percent == 100);
    // p50: the first 100/4 = 25 % is Min, then linear to Max at 100 %:
    // 0.00027292 + (50 - 25) / 75 x (0.000930407 - 0.00027292) = 0.00049208233...
    CHECK(d.percentiles[0].second == Approx(0.0004920823333333334).epsilon(1e-12));
    CHECK(d.percentiles[1].second == Approx(0.0007112446666666667).epsilon(1e-12));
    CHECK(d.percentiles[4].second == Approx(0.0009295303506666667).epsilon(1e-12));
    // The mid point (0.00027292 + 0.000930407) / 2 = 0.0006016635 is a hair
    // below the 5 as a double, so %.6g rounds it down, in Go as in C.
    const std::string text = drsim::fortio::histogram_text("Aggregated Function Time", d);
    CHECK(text.rfind("Aggregated Function Time : count 4 avg 0.00058301175 +/- 0.0002849 min 0.00027292 max 0.000930407 "
                     "sum 0.002332047\n# range, mid point, percentile, count\n"
                     ">= 0.00027292 <= 0.000930407 , 0.000601663 , 100.00, 4\n# target 50% 0.000492082\n",
                     0) == 0);
  }
  SECTION("a value on a bound belongs to the bucket below it") {
    drsim::FortioHistogram h;
    CHECK(h.bucket_of(0.0) == 0);    // <= 0
    CHECK(h.bucket_of(0.001) == 1);  // (0, 1 ms]
    CHECK(h.bucket_of(0.0010001) == 2);
    CHECK(h.bucket_of(0.012) == 12);  // (11, 12]
    CHECK(h.bucket_of(0.013) == 13);  // (12, 14]
    CHECK(h.bucket_of(100.0) == 55);  // (75 s, 100 s]
    CHECK(h.bucket_of(100.5) == 56);  // past the last bound
  }
  SECTION("cumulative percent and bucket starts after empty buckets") {
    drsim::FortioHistogram h;
    h.record(0.0005);
    h.record(0.0035);
    h.record(0.0035);
    h.record(0.013);
    const auto d = h.export_data({50});
    REQUIRE(d.data.size() == 3);
    CHECK(d.data[1].start == Approx(0.003));  // the empty buckets in between move the start
    CHECK(d.data[1].end == Approx(0.004));
    CHECK(d.data[1].percent == 75);
    CHECK(d.data[2].start == Approx(0.012));
    CHECK(d.data[2].end == 0.013);  // the last bucket ends at Max
    // p50: 25 % .. 75 % spans (3 ms, 4 ms]: 0.003 + (50 - 25) / 50 x 0.001
    CHECK(d.percentiles[0].second == Approx(0.0035));
  }
  SECTION("a duration of whole nanoseconds falls in the bucket fortio's floating quotient gives it") {
    // record(Duration) finds the bucket in integers below a second; every
    // bound (a whole ms), its neighbours and a million random durations.
    drsim::RandomStream rng(7, "fortio buckets");
    const auto same = [](std::int64_t ns) {
      return drsim::FortioHistogram::bucket_of_ns(ns) == drsim::FortioHistogram{}.bucket_of(drsim::go_seconds(drsim::Duration::nanoseconds(ns)));
    };
    std::int64_t mismatches = 0;
    for (std::int64_t ms = 0; ms < 1000; ++ms)
      for (std::int64_t d : {-1, 0, 1}) {
        const std::int64_t ns = ms * 1'000'000 + d;
        if (ns >= 0 && ns < 1'000'000'000 && !same(ns)) ++mismatches;
      }
    for (int k = 0; k < 1'000'000; ++k)
      if (!same(static_cast<std::int64_t>(rng.below(1'000'000'000)))) ++mismatches;
    CHECK(mismatches == 0);
    // And the whole histogram: counts and counter as record(go_seconds(d)).
    drsim::FortioHistogram by_double, by_duration;
    for (std::int64_t ns : {0LL, 1LL, 999'999LL, 1'000'000LL, 1'000'001LL, 12'000'000LL, 999'999'999LL, 1'000'000'000LL, 100'000'000'000LL,
                            100'000'000'001LL}) {
      by_double.record(drsim::go_seconds(drsim::Duration::nanoseconds(ns)));
      by_duration.record(drsim::Duration::nanoseconds(ns));
    }
    for (std::size_t b = 0; b < drsim::kFortioBuckets; ++b) CHECK(by_double.bucket_count(b) == by_duration.bucket_count(b));
    CHECK(by_double.counter().sum == by_duration.counter().sum);
  }
  SECTION("fortio's sleep histogram puts sleeps of -1 ms and less in bucket 0") {
    drsim::FortioHistogram sleeps(-0.001, 0.001);
    CHECK(sleeps.bucket_of(-0.002) == 0);
    CHECK(sleeps.bucket_of(0.0) == 1);
  }
}

TEST_CASE("Go's printing: %g, JSON floats, durations", "[fortio]") {
  using namespace drsim::fortio;
  CHECK(go_g(100) == "100");
  CHECK(go_g(999999) == "999999");
  CHECK(go_g(1234567) == "1.234567e+06");
  CHECK(go_g(0.0001) == "0.0001");
  CHECK(go_g(0.00001) == "1e-05");
  CHECK(go_g(0.016543575) == "0.016543575");
  CHECK(go_g(99.9) == "99.9");
  CHECK(go_json(100) == "100");
  CHECK(go_json(1e-7) == "1e-7");
  CHECK(go_json(38.44836361217263) == "38.44836361217263");
  CHECK(go_duration(300'000'000'000) == "5m0s");
  CHECK(go_duration(5'059'691'387) == "5.059691387s");
  CHECK(go_duration(3'600'000'000'000) == "1h0m0s");
  CHECK(go_duration(299'996'665'236) == "4m59.996665236s");
  CHECK(go_duration(1'500'000) == "1.5ms");
  CHECK(go_duration(250'000) == "250\xC2\xB5s");
  CHECK(go_duration(12) == "12ns");
}

TEST_CASE("fortio-json: fortio's own result and drsim's read the same way", "[fortio][cli]") {
  const std::string readme = read_text(source_path("tests/data/fortio-readme-result.json"));
  const auto theirs = nlohmann::json::parse(readme);
  const auto r = drsim_cli("run " + source_path("models/asm-gtm-drill.json") + " --format fortio-json --replications 3 --quiet");
  REQUIRE(r.exit_code == 0);
  const auto ours = nlohmann::json::parse(r.out);
  SECTION("the same checks pass on both") {
    check_fortio_result(theirs);
    check_fortio_result(ours);
  }
  SECTION("the same observation reader takes both") {
    const auto a = drsim::parse_observation(readme, "fortio-readme-result.json");
    CHECK(a.format == "fortio-json");
    CHECK(a.codes == std::map<int, std::uint64_t>{{200, 4}});
    const auto b = drsim::parse_observation(r.out, "drsim");
    CHECK(b.format == "fortio-json");
    CHECK(b.total() == 30000);
  }
  SECTION("drsim's says which replication it shows and carries the replications under \"drsim\"") {
    CHECK(ours["Labels"].get<std::string>().find("replication 0 of 3") != std::string::npos);
    CHECK(ours["drsim"]["replication"] == 0);
    CHECK(ours["drsim"]["replications"] == 3);
    CHECK(ours["drsim"]["figures"]["failed_pct"]["ci95"].size() == 2);
    CHECK(ours["RequestedQPS"] == "100");
    CHECK(ours["RequestedDuration"] == "5m0s");
    CHECK(ours["DisableKeepAlive"] == true);
    CHECK(ours["SocketCount"].get<long long>() == ours["Sockets"][0].get<long long>());
    long long ips = 0;
    for (const auto& [ip, n] : ours["IPCountMap"].items()) ips += n.get<long long>();
    CHECK(ips == ours["SocketCount"].get<long long>());
    // The errors' histogram holds exactly the calls that did not get 200.
    CHECK(ours["ErrorsDurationHistogram"]["Count"] == ours["RetCodes"]["-1"]);
  }
}

TEST_CASE("fortio text: fortio's lines in fortio's order, the replications first", "[fortio][cli]") {
  const auto r = drsim_cli("run " + source_path("models/asm-gtm-drill.json") + " --format fortio --replications 3 --quiet");
  REQUIRE(r.exit_code == 0);
  const std::string& t = r.out;
  CHECK(t.rfind("# == drsim: asm-gtm-drill, 3 replications", 0) == 0);  // mean and interval first
  std::vector<std::string> order = {"Fortio ", "Starting at 100 qps with 1 thread(s) [gomax 1] for 5m0s : 30000 calls each (total 30000)",
                                    "Ended after ", "Sleep times : count 29999 avg ", "Aggregated Function Time : count 30000 avg ",
                                    "# range, mid point, percentile, count", "# target 50% ", "# target 99.9% ",
                                    "Error cases : count ", "# Socket and IP used for each connection:",
                                    "[0] 30000 socket used, resolved to [gw-1:80 (", "Sockets used: 30000 (for perfect keepalive, would be 1)",
                                    "Uniform: false, Jitter: false, Catchup allowed: true", "IP addresses distribution:",
                                    "Code  -1 : ", "Code 200 : ", "All done 30000 calls (plus 1 warmup) "};
  std::size_t at = 0;
  for (const auto& line : order) {
    INFO(line);
    const auto found = t.find(line, at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
  // Bucket lines: fortio's "> %.6g <= %.6g , %.6g , %.2f, %d", counts adding up to the calls.
  const std::regex bucket(R"((>=|>) ([0-9.e+-]+) <= ([0-9.e+-]+) , ([0-9.e+-]+) , ([0-9]+\.[0-9]{2}), ([0-9]+))");
  const auto fn = t.find("Aggregated Function Time");
  const std::string block = t.substr(fn, t.find("# target 50%", fn) - fn);
  long long total = 0;
  for (std::sregex_iterator it(block.begin(), block.end(), bucket), end; it != end; ++it) total += std::stoll((*it)[6]);
  CHECK(total == 30000);
  CHECK(block.find(", 100.00, ") != std::string::npos);
  // The Code lines read back through the observation reader give the JSON's RetCodes.
  const auto seen = drsim::parse_observation(t, "drsim text");
  CHECK(seen.format == "fortio-text");
  const auto j = nlohmann::json::parse(drsim_cli("run " + source_path("models/asm-gtm-drill.json") +
                                                 " --format fortio-json --replications 3 --quiet").out);
  CHECK(seen.codes.at(-1) == j["RetCodes"]["-1"].get<std::uint64_t>());
  CHECK(seen.codes.at(200) == j["RetCodes"]["200"].get<std::uint64_t>());
}
