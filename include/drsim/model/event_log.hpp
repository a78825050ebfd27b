// The events log: what happened when, in words a user reads on a timeline
// ("address 10.0.2.1 judged unhealthy", "answer changed", "scaled to 12").
// Only state changes are logged, never per-request activity, so the log
// stays small and appending to it is off the request path.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "drsim/core/time.hpp"

namespace drsim {

struct LoggedEvent {
  TimePoint time;
  std::string component;  // "gtm", "gtm/node-2", "lb/cluster-2", "fault", "resolver/isp"
  std::string kind;       // machine-readable: "probe_failed_threshold", "address_unhealthy", ...
  std::string detail;     // human-readable
};

class EventLog {
 public:
  void add(TimePoint t, std::string component, std::string kind, std::string detail = {}) {
    if (!enabled_) return;
    events_.push_back({t, std::move(component), std::move(kind), std::move(detail)});
  }
  void set_enabled(bool on) { enabled_ = on; }
  [[nodiscard]] bool enabled() const { return enabled_; }
  /// Orders the log by time, keeping the order of events at the same time.
  void sort_by_time() {
    std::stable_sort(events_.begin(), events_.end(), [](const LoggedEvent& a, const LoggedEvent& b) { return a.time < b.time; });
  }
  [[nodiscard]] const std::vector<LoggedEvent>& events() const { return events_; }
  [[nodiscard]] const LoggedEvent* first(const std::string& kind) const {
    for (const auto& e : events_)
      if (e.kind == kind) return &e;
    return nullptr;
  }

 private:
  std::vector<LoggedEvent> events_;
  bool enabled_ = true;
};

}  // namespace drsim
