// The drain curve: after the GTM's answer changes (the first change at or
// after the first gateway fault that removes an address), the share of
// requests, and of clients, still sent to a removed address, against the
// time since the change.
//
// A request counts when its first attempt is aimed (its send); requests_old
// at t is the share of the requests sent in [t, t + 1 s) whose first attempt
// went to a removed address. clients_old at t is the share of the clients
// that have sent since the change whose latest send before t went there.
// Everything is counted in arrays sized when the run is built, so counting
// allocates nothing. Sends may come in any order across clients (aggregated
// populations play a client's requests after the fact), but in time order
// for one client: the client counts are kept as changes per second and
// summed when the run ends.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "drsim/core/time.hpp"
#include "drsim/model/gtm.hpp"

namespace drsim {

/// One point of the drain curve.
struct DrainPoint {
  double t_s = 0;           // since the answer changed
  double requests_old = 0;  // share of the requests sent in [t, t + 1 s) aimed at a removed address
  double clients_old = 0;   // share of the clients (that sent since the change) whose latest send went there
  std::uint64_t requests = 0;  // requests sent in [t, t + 1 s)
};

/// The times since the change that summary.drain_curve reports.
inline constexpr std::array<double, 16> kDrainLadder = {0,   5,   10,  20,  30,   60,   90,   120,
                                                       180, 300, 600, 900, 1200, 1800, 2700, 3600};

class DrainTracker {
 public:
  /// Sizes the arrays: `clients` clients, at most `seconds` seconds after a change.
  void configure(std::size_t clients, std::size_t seconds) {
    client_state_.assign(clients, 0);
    const std::size_t n = std::max<std::size_t>(1, seconds);
    sent_.assign(n, 0);
    old_.assign(n, 0);
    seen_at_.assign(n + 1, 0);
    clients_old_at_.assign(n + 1, 0);
  }

  /// The answer changed at `at`, no longer listing the addresses of `removed`.
  void start(TimePoint at, const AddressList& removed) {
    changed_at_ = at;
    removed_ = removed;
  }

  /// Starts the curve at the first answer change at or after `fault` that
  /// removes an address (looking only at changes not seen before).
  void watch(const std::vector<GlobalTrafficManager::AnswerChange>& history, std::optional<TimePoint> fault) {
    // (The early return inlines: every request asks until the answer changes.)
    if (!fault || started() || history_seen_ == history.size()) return;
    watch_new(history, *fault);
  }
  [[nodiscard]] bool started() const { return changed_at_.has_value(); }
  [[nodiscard]] std::optional<TimePoint> changed_at() const { return changed_at_; }
  [[nodiscard]] const AddressList& removed() const { return removed_; }

  /// A client's request was aimed at `address` now.
  void sent(std::uint32_t client, std::uint16_t address, TimePoint now) {
    if (!changed_at_ || now < *changed_at_ || sent_.empty()) return;
    count_sent(client, address, now);
  }

  /// Closes the per-second snapshots at the end of the run (`end`: the horizon).
  void finish(TimePoint end) {
    if (!changed_at_ || end < *changed_at_) return;
    const auto last = static_cast<std::size_t>((end - *changed_at_).ns() / 1'000'000'000);
    for (std::size_t s = 1; s < seen_at_.size(); ++s) {
      seen_at_[s] += seen_at_[s - 1];
      clients_old_at_[s] += clients_old_at_[s - 1];
    }
    seconds_ = std::min(last, sent_.size());
  }

  /// Seconds since the change the run covers.
  [[nodiscard]] std::size_t seconds() const { return seconds_; }
  /// The curve at second s since the change.
  [[nodiscard]] DrainPoint at(std::size_t s) const {
    DrainPoint p;
    p.t_s = static_cast<double>(s);
    p.requests = sent_[s];
    p.requests_old = sent_[s] ? static_cast<double>(old_[s]) / static_cast<double>(sent_[s]) : 0.0;
    p.clients_old = seen_at_[s] ? static_cast<double>(clients_old_at_[s]) / static_cast<double>(seen_at_[s]) : 0.0;
    return p;
  }
  /// The ladder's points within the run.
  [[nodiscard]] std::vector<DrainPoint> curve() const {
    std::vector<DrainPoint> out;
    for (double t : kDrainLadder)
      if (static_cast<std::size_t>(t) < seconds_) out.push_back(at(static_cast<std::size_t>(t)));
    return out;
  }

 private:
  void watch_new(const std::vector<GlobalTrafficManager::AnswerChange>& history, TimePoint fault) {
    for (; history_seen_ < history.size(); ++history_seen_) {
      const auto& c = history[history_seen_];
      if (c.at < fault) continue;
      AddressList removed;
      for (std::size_t i = 0; i < c.before.size(); ++i)
        if (!c.after.contains(c.before[i])) removed.push(c.before[i]);
      if (removed.empty()) continue;
      start(c.at, removed);
      return;
    }
  }

  void count_sent(std::uint32_t client, std::uint16_t address, TimePoint now) {
    const auto sec = std::min<std::size_t>(static_cast<std::size_t>((now - *changed_at_).ns() / 1'000'000'000),
                                           sent_.size() - 1);
    const bool old = removed_.contains(address);
    ++sent_[sec];
    old_[sec] += old ? 1 : 0;
    if (client >= client_state_.size()) return;
    std::uint8_t& st = client_state_[client];
    const std::uint8_t now_state = old ? 2 : 1;
    if (st == now_state) return;
    // The counts at the start of every later second change.
    if (st == 0) ++seen_at_[sec + 1];
    if (st == 2) --clients_old_at_[sec + 1];
    if (now_state == 2) ++clients_old_at_[sec + 1];
    st = now_state;
  }

  std::optional<TimePoint> changed_at_;
  std::size_t history_seen_ = 0;  // answer changes looked at by watch()
  AddressList removed_;
  std::vector<std::uint8_t> client_state_;  // 0: not sent since the change, 1: to a kept address, 2: to a removed one
  std::vector<std::uint32_t> sent_, old_;
  // Clients that have sent since the change / whose latest send went to a
  // removed address, at the start of each second (changes until finish()).
  std::vector<std::int64_t> seen_at_, clients_old_at_;
  std::size_t seconds_ = 0;
};

}  // namespace drsim
