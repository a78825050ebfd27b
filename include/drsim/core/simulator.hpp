// The discrete-event simulator: one clock, one event loop.
//
// Vocabulary follows SimPy (an environment that runs until a time) and ns-3
// (scheduling returns a handle that can be cancelled; random variables come
// from numbered streams). Events at equal times run in the order they were
// scheduled. Callbacks live in a slot pool recycled through a free list and
// the queue stores 16-byte records, so the steady state allocates nothing.
// Cancelling bumps the slot's generation; the stale record is skipped when it
// reaches the front, so cancel never scans the queue.
#pragma once

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drsim/core/detail/inplace_callback.hpp"
#include "drsim/core/event_queue.hpp"
#include "drsim/core/random.hpp"
#include "drsim/core/time.hpp"

namespace drsim {

/// What kind of event and which component: folded into the run fingerprint.
struct EventTag {
  std::uint16_t kind = 0;
  std::uint16_t component = 0;
};

/// Identifies a scheduled event or timer; default-constructed is "none".
struct EventHandle {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t gen = 0;
  [[nodiscard]] bool valid() const { return slot != UINT32_MAX; }
};

class SchedulingError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

template <class Queue>
class BasicSimulator {
 public:
  explicit BasicSimulator(std::uint64_t seed = 0) : seed_(seed) {}
  BasicSimulator(const BasicSimulator&) = delete;
  BasicSimulator& operator=(const BasicSimulator&) = delete;

  [[nodiscard]] TimePoint now() const { return now_; }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }

  /// An independent random stream named by its owner ("gtm", "client/3", ...).
  [[nodiscard]] RandomStream stream(std::string_view name) const { return RandomStream(seed_, name); }
  [[nodiscard]] RandomStream stream(std::uint64_t id) const { return RandomStream(seed_, id); }

  /// Runs `f` at time `t` (>= now).
  template <class F>
  EventHandle at(TimePoint t, F&& f, EventTag tag = {}) {
    if (t < now_) [[unlikely]] throw_in_past(t);
    return insert(t, Duration::zero(), std::forward<F>(f), tag);
  }

  /// Runs `f` after `delay` (>= 0).
  template <class F>
  EventHandle after(Duration delay, F&& f, EventTag tag = {}) {
    if (delay.is_negative()) [[unlikely]] throw_negative_delay(delay);
    return at(now_ + delay, std::forward<F>(f), tag);
  }

  /// Runs `f` every `period` (> 0), first at `now + period` unless `first` is
  /// given. Cancel the handle to stop it; the callback may cancel its own timer.
  template <class F>
  EventHandle every(Duration period, F&& f, EventTag tag = {}) {
    return every_from(now_ + period, period, std::forward<F>(f), tag);
  }
  template <class F>
  EventHandle every_from(TimePoint first, Duration period, F&& f, EventTag tag = {}) {
    if (period <= Duration::zero()) throw SchedulingError("a periodic timer needs a period > 0, got " + to_string(period));
    if (first < now_) throw SchedulingError("a periodic timer cannot start in the past");
    return insert(first, period, std::forward<F>(f), tag);
  }

  /// Cancels a pending event or timer. Returns false when it already ran
  /// (one-shot), was already cancelled, or the handle is empty.
  bool cancel(EventHandle h) {
    if (!h.valid() || h.slot >= slots_.size() || slots_[h.slot].gen != h.gen) return false;
    release(h.slot);
    --live_;
    return true;
  }

  /// True while the event has not run (one-shot) or not been cancelled.
  [[nodiscard]] bool pending(EventHandle h) const {
    return h.valid() && h.slot < slots_.size() && slots_[h.slot].gen == h.gen;
  }

  /// Executes every event with time <= `until`, then sets the clock to `until`
  /// (an event exactly at the boundary runs). Returns early on stop().
  void run_until(TimePoint until) {
    stopped_ = false;
    until_ = until;
    while (!stopped_ && !queue_.empty()) {
      // Peek without taking: the radix heap's top() advances its base time,
      // after which an event between `until` and that time could not be
      // scheduled in order.
      if (queue_.top_time() > until.ns()) break;
      step();
    }
    if (!stopped_ && until > now_) now_ = until;
    until_ = TimePoint::max();
  }
  void run_for(Duration d) { run_until(now_ + d); }
  /// Runs until no event is pending or stop() is called.
  void run() {
    stopped_ = false;
    while (!stopped_ && !queue_.empty()) step();
  }
  /// Ends the current run_until / run after the running event returns.
  void stop() { stopped_ = true; }

  /// The time of the earliest pending event, TimePoint::max() when none. A
  /// cancelled event counts until its time comes (it leaves the queue then),
  /// so this is never later than the next event that will run.
  [[nodiscard]] TimePoint next_event_time() const {
    return queue_.empty() ? TimePoint::max() : TimePoint::from_ns(queue_.top_time());
  }

  /// Moves the clock to `t` from inside a running event, as if an event at
  /// `t` had just begun, when that changes nothing: no pending event is due
  /// at or before `t`, `t` is within the current run (run_until's bound) and
  /// stop() was not called. Returns false, leaving the clock alone, otherwise.
  /// A process whose next step nothing can precede takes it at once instead
  /// of scheduling it (ClientPopulations paces its clients this way); the
  /// step counts as no event, in neither executed_events nor the fingerprint.
  bool advance_to(TimePoint t) {
    if (t < now_ || t > until_ || stopped_ || next_event_time() <= t) return false;
    now_ = t;
    return true;
  }

  /// Events scheduled and neither run nor cancelled (timers count once).
  [[nodiscard]] std::size_t pending_events() const { return live_; }
  [[nodiscard]] std::uint64_t executed_events() const { return executed_; }
  /// Hash over (time, kind, component) of every executed event, in order.
  [[nodiscard]] std::uint64_t fingerprint() const { return fingerprint_; }

  /// Pre-sizes the slot pool and queue for `n` pending events.
  void reserve(std::size_t n) {
    slots_.reserve(n);
    free_.reserve(n);
    queue_.reserve(n);
  }

 private:
  // One cache line per slot: dispatch reads a slot written about N events
  // earlier, usually from memory, so it should cost one miss and not two.
  struct alignas(64) Slot {
    detail::InplaceCallback callback;
    Duration period;  // zero: one-shot
    std::uint32_t gen = 0;
    EventTag tag;
  };
  static_assert(sizeof(Slot) == 64);

  // Records this far behind the front have their slot prefetched.
  static constexpr std::size_t kPrefetchDistance = 8;

  [[noreturn]] void throw_in_past(TimePoint t) const {
    throw SchedulingError("cannot schedule an event at " + to_string(t) + ", before now (" + to_string(now_) + ")");
  }
  [[noreturn]] static void throw_negative_delay(Duration delay) {
    throw SchedulingError("cannot schedule an event after a negative delay " + to_string(delay));
  }

  template <class F>
  EventHandle insert(TimePoint t, Duration period, F&& f, EventTag tag) {
    std::uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
      // Keep room for every slot in the free stack, so releasing never allocates.
      if (free_.capacity() < slots_.capacity()) free_.reserve(slots_.capacity());
    }
    Slot& slot = slots_[s];
    // Built in place: a callback built on the stack and copied in is reloaded
    // with wider loads than it was stored with, which stalls store forwarding.
    ::new (static_cast<void*>(&slot.callback)) detail::InplaceCallback(std::forward<F>(f));
    slot.period = period;
    slot.tag = tag;
    queue_.push({t.ns(), s, slot.gen});
    ++live_;
    return {s, slot.gen};
  }

  void release(std::uint32_t s) {
    ++slots_[s].gen;
    free_.push_back(s);
  }

  /// Takes the next record off the queue and dispatches it.
  void step() {
    const detail::EventRecord rec = queue_.top();
    queue_.pop();
    if (const detail::EventRecord* ahead = queue_.lookahead(kPrefetchDistance)) {
      __builtin_prefetch(&slots_[ahead->slot]);
    }
    dispatch(rec);
  }

  void dispatch(const detail::EventRecord& rec) {
    Slot& slot = slots_[rec.slot];
    if (slot.gen != rec.gen) return;  // cancelled
    now_ = TimePoint::from_ns(rec.time);
    ++executed_;
    const std::uint64_t word = static_cast<std::uint64_t>(rec.time) * 0x9E3779B97F4A7C15ULL ^
                               (static_cast<std::uint64_t>(slot.tag.kind) << 16 | slot.tag.component);
    fingerprint_ = (detail::rotl(fingerprint_, 5) ^ word) * 0x100000001B3ULL;
    detail::InplaceCallback cb = slot.callback;  // the callback may reuse or move the slot
    if (slot.period > Duration::zero()) {
      // Re-arm before running so the callback can cancel its own timer.
      queue_.push({(now_ + slot.period).ns(), rec.slot, rec.gen});
    } else {
      release(rec.slot);
      --live_;
    }
    cb();
  }

  Queue queue_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // free slot indices, used last-in first-out
  TimePoint now_ = TimePoint::start();
  std::uint64_t seed_;
  std::uint64_t executed_ = 0;
  std::uint64_t fingerprint_ = 0xCBF29CE484222325ULL;
  std::size_t live_ = 0;
  TimePoint until_ = TimePoint::max();  // the current run_until's bound
  bool stopped_ = false;
};

/// The simulator every drsim model runs on (4-ary heap for few pending events, radix heap for many).
using Simulator = BasicSimulator<detail::AdaptiveEventQueue>;

}  // namespace drsim
