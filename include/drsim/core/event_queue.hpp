// Pending-event queues for the simulator.
//
// Both queues hold small plain records and pop them in (time, insertion)
// order, which is what makes a run deterministic. The simulator uses a 4-ary
// heap while few events are pending and the radix heap when many are
// (AdaptiveEventQueue, at the end). Simulated time never decreases, so the queue can be keyed on the
// integer time alone, bucketed by the highest digit in which a key differs
// from the front time. Each record moves a few times over its life and every
// bucket is a chain of contiguous chunks, which beats comparison heaps at
// sizes from about a hundred up (bench/README.md); below that the heap's few
// levels win.
//
// Interface used by BasicSimulator: push, empty, size, top_time (peek without
// side effects), top + pop (take the next record), lookahead (a later record
// to prefetch for, if any), reserve.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace drsim::detail {

/// What the queue stores for each pending event: 16 bytes.
struct EventRecord {
  std::int64_t time;   // ns since start; never negative
  std::uint32_t slot;  // index of the callback slot in the simulator
  std::uint32_t gen;   // slot generation when scheduled (stale => cancelled)
};

/// Monotone radix heap with `DigitBits`-bit digits. Precondition of push:
/// time >= the time of the last record returned by top() (so the simulator
/// peeks with top_time(), which has no such effect).
///
/// A record lives in the bucket named by the highest digit in which its time
/// differs from `last_` (the front time) and by its value in that digit, so
/// bucket order is time order; bucket 0 holds the records at `last_` itself.
/// When bucket 0 runs dry, the first non-empty bucket is taken: its minimum
/// (tracked on append) becomes `last_` and its records are redistributed
/// into lower buckets. A bucket for digit 0 holds one time only and is
/// handed to bucket 0 whole, so a record scheduled less than 2^k ns ahead
/// is moved at most k / DigitBits times (rounded up), where the classic
/// binary radix heap (DigitBits = 1) may move it k times. Wider digits cost
/// more buckets (2049 of 24 bytes for 8-bit digits) and a partly filled chunk
/// for each non-empty one. bench/README.md has the measurements.
///
/// Equal times pop in push order: equal keys always share a bucket, buckets
/// are appended to in order, redistribution scans in order into buckets that
/// are empty when it starts, and bucket 0 is consumed from the front.
///
/// Buckets are chains of fixed-size chunks drawn from one shared pool. A
/// bucket for a high digit can briefly hold nearly every pending record when
/// the clock crosses a digit boundary; with per-bucket vectors every bucket
/// would keep that much capacity for ever (and allocate the first time it
/// happens). With a shared pool, memory follows the number of pending
/// records (16 bytes each, plus at most one partly filled chunk per bucket)
/// and the steady state never allocates.
template <unsigned DigitBits, std::uint32_t ChunkRecords>
class BasicRadixEventQueue {
  static_assert(DigitBits >= 1 && DigitBits <= 8);
  static constexpr unsigned kRadix = 1U << DigitBits;
  static constexpr unsigned kDigits = (64 + DigitBits - 1) / DigitBits;
  static constexpr std::size_t kBuckets = 1 + std::size_t{kDigits} * kRadix;  // [0] is the front
  static constexpr std::size_t kMaskWords = (kBuckets - 1 + 63) / 64;
  static_assert(kMaskWords <= 64, "one summary word covers the bucket mask");
  static constexpr std::uint32_t kChunk = ChunkRecords;
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Chunk {
    EventRecord recs[kChunk];
  };
  struct Bucket {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
    std::uint32_t tail_count = kChunk;  // records in the tail chunk; kChunk when there is none
    std::uint32_t count = 0;            // records in the bucket (bucket 0: not yet popped)
    std::uint64_t min = UINT64_MAX;     // smallest key (unused for bucket 0: all equal last_)
  };

 public:
  void push(const EventRecord& r) {
    const auto key = static_cast<std::uint64_t>(r.time);
    const std::uint64_t x = key ^ last_;
    if (x == 0) {
      append(buckets_[0], r);
    } else {
      append_above(bucket_of_differing(key, x), key, r);
    }
    ++size_;
  }

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }

  /// Time of the next record, without reordering anything; precondition !empty().
  [[nodiscard]] std::int64_t top_time() const {
    if (buckets_[0].count != 0) return static_cast<std::int64_t>(last_);
    return static_cast<std::int64_t>(buckets_[first_nonempty()].min);
  }

  /// The next record; precondition !empty(). Once called, only times >= the
  /// record's time may be pushed (the simulator calls it to pop, not to peek).
  const EventRecord& top() {
    if (buckets_[0].count == 0) refill();
    return pool_[buckets_[0].head].recs[front_pos_];
  }

  /// The record `k` places behind the next one when it is at hand without
  /// work (for prefetching), else nullptr.
  [[nodiscard]] const EventRecord* lookahead(std::size_t k) const {
    static_assert(kChunk >= 2);
    const Bucket& b0 = buckets_[0];
    if (k >= b0.count || k >= kChunk) return nullptr;
    std::size_t pos = front_pos_ + k;
    std::uint32_t c = b0.head;
    if (pos >= kChunk) {
      c = next_[c];
      pos -= kChunk;
    }
    return &pool_[c].recs[pos];
  }

  void pop() {
    Bucket& b0 = buckets_[0];
    if (b0.count == 0) refill();
    --b0.count;
    --size_;
    if (++front_pos_ == kChunk) {
      // Head chunk consumed: it is full, so either later chunks follow or it is also the tail.
      const std::uint32_t done = b0.head;
      b0.head = next_[done];
      release(done);
      front_pos_ = 0;
      if (b0.head == kNone) {
        b0.tail = kNone;
        b0.tail_count = kChunk;
      }
    }
  }

  /// Precondition empty(): forgets the front time, so any time >= 0 may be
  /// pushed again (AdaptiveEventQueue hands records back and forth).
  void reset_base() { last_ = 0; }

  /// Pre-sizes the chunk pool for `n` pending records.
  void reserve(std::size_t n) {
    // Full chunks, plus one partly filled chunk per non-empty bucket, plus
    // bucket 0's partly consumed head and the chunk being redistributed.
    const std::size_t chunks = n / kChunk + std::min(n, kBuckets) + 2;
    pool_.reserve(chunks);
    next_.reserve(chunks);
    while (pool_.size() < chunks) release(grow());
  }

 private:
  /// Bucket of a key that differs from last_ (x = key ^ last_, non-zero).
  static std::size_t bucket_of_differing(std::uint64_t key, std::uint64_t x) {
    const unsigned digit = static_cast<unsigned>(63 - std::countl_zero(x)) / DigitBits;
    const auto value = static_cast<unsigned>(key >> (digit * DigitBits)) & (kRadix - 1);
    return 1 + std::size_t{digit} * kRadix + value;
  }

  /// The first non-empty bucket above 0; precondition: there is one.
  [[nodiscard]] std::size_t first_nonempty() const {
    const auto w = static_cast<std::size_t>(std::countr_zero(summary_));
    return 1 + w * 64 + static_cast<std::size_t>(std::countr_zero(mask_[w]));
  }

  std::uint32_t grow() {
    const auto i = static_cast<std::uint32_t>(pool_.size());
    pool_.emplace_back();
    next_.push_back(kNone);
    return i;
  }
  std::uint32_t acquire() {
    if (free_ == kNone) return grow();
    const std::uint32_t i = free_;
    free_ = next_[i];
    next_[i] = kNone;
    return i;
  }
  void release(std::uint32_t i) {
    next_[i] = free_;
    free_ = i;
  }

  /// Appends to bucket b >= 1 and keeps its minimum and the masks up to date.
  void append_above(std::size_t b, std::uint64_t key, const EventRecord& r) {
    Bucket& bucket = buckets_[b];
    append(bucket, r);
    bucket.min = std::min(bucket.min, key);
    const std::size_t w = (b - 1) / 64;
    mask_[w] |= std::uint64_t{1} << ((b - 1) % 64);
    summary_ |= std::uint64_t{1} << w;
  }

  void append(Bucket& b, const EventRecord& r) {
    if (b.tail_count == kChunk) {
      const std::uint32_t c = acquire();  // may move pool_: index, do not hold references
      if (b.tail == kNone) {
        b.head = c;
      } else {
        next_[b.tail] = c;
      }
      b.tail = c;
      b.tail_count = 0;
    }
    pool_[b.tail].recs[b.tail_count++] = r;
    ++b.count;
  }

  /// Bucket 0 is empty and size_ > 0: bring the next time to the front.
  void refill() {
    Bucket& b0 = buckets_[0];
    const std::size_t i = first_nonempty();
    const Bucket src = buckets_[i];
    buckets_[i] = Bucket{};
    const std::size_t w = (i - 1) / 64;
    mask_[w] &= ~(std::uint64_t{1} << ((i - 1) % 64));
    if (mask_[w] == 0) summary_ &= ~(std::uint64_t{1} << w);
    last_ = src.min;
    if (i <= kRadix) {
      // A digit-0 bucket holds a single time: it becomes bucket 0 as it is.
      if (b0.head != kNone) release(b0.head);  // fully consumed, so it is the only chunk
      b0 = src;
      front_pos_ = 0;
      return;
    }
    for (std::uint32_t c = src.head; c != kNone;) {
      const std::uint32_t n = c == src.tail ? src.tail_count : kChunk;
      for (std::uint32_t k = 0; k < n; ++k) {
        const EventRecord r = pool_[c].recs[k];
        const auto key = static_cast<std::uint64_t>(r.time);
        const std::uint64_t x = key ^ last_;
        if (x == 0) {
          append(b0, r);
        } else {
          append_above(bucket_of_differing(key, x), key, r);
        }
      }
      const std::uint32_t next = next_[c];
      release(c);
      c = next;
    }
  }

  std::vector<Chunk> pool_;
  std::vector<std::uint32_t> next_;  // chain link of each chunk (free list for free chunks)
  std::uint32_t free_ = kNone;
  std::uint32_t front_pos_ = 0;  // records already popped from bucket 0's head chunk
  std::array<Bucket, kBuckets> buckets_{};
  std::array<std::uint64_t, kMaskWords> mask_{};  // bit b-1: bucket b is non-empty
  std::uint64_t summary_ = 0;                     // bit w: mask_[w] != 0
  std::uint64_t last_ = 0;
  std::size_t size_ = 0;
};

/// The radix heap the simulator uses for many pending events: 8-bit digits, 64-record (1 KiB) chunks.
using RadixEventQueue = BasicRadixEventQueue<8, 64>;

/// Implicit 4-ary min-heap on (time, sequence): the comparison-based reference.
class QuaternaryEventQueue {
 public:
  void push(const EventRecord& r) {
    heap_.push_back({r, seq_++});
    sift_up(heap_.size() - 1);
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  [[nodiscard]] std::int64_t top_time() const { return heap_.front().rec.time; }
  const EventRecord& top() { return heap_.front().rec; }
  /// A record that runs soon (the next one), for prefetching; nullptr when empty.
  [[nodiscard]] const EventRecord* lookahead(std::size_t /*k*/) const {
    return heap_.empty() ? nullptr : &heap_.front().rec;
  }
  void pop() {
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
  }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  struct Node {
    EventRecord rec;
    std::uint64_t seq;
  };
  static bool less(const Node& a, const Node& b) {
    return a.rec.time != b.rec.time ? a.rec.time < b.rec.time : a.seq < b.seq;
  }
  void sift_up(std::size_t i) {
    Node n = heap_[i];
    while (i > 0) {
      std::size_t p = (i - 1) / 4;
      if (!less(n, heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = n;
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    Node x = heap_[i];
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      const std::size_t end = std::min(c + 4, n);
      for (std::size_t k = c + 1; k < end; ++k)
        if (less(heap_[k], heap_[best])) best = k;
      if (!less(heap_[best], x)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = x;
  }
  std::vector<Node> heap_;
  std::uint64_t seq_ = 0;
};

/// The simulator's queue: a 4-ary heap while few events are pending, the
/// radix heap once many are. A drill keeps about a dozen events pending, where
/// the heap's two or three levels beat the radix heap's bucket refills (24.8
/// against 18.0 M events/s on the hold model at N = 12); a spike keeps
/// thousands, where the radix heap is several times faster. Switching moves
/// the records over in (time, insertion) order, so the order of execution,
/// ties included, is the same in either mode; hysteresis (up above
/// kToRadix, back below kToHeap) keeps a size near the edge from moving
/// records to and fro.
class AdaptiveEventQueue {
 public:
  static constexpr std::size_t kToRadix = 256;
  static constexpr std::size_t kToHeap = 32;

  void push(const EventRecord& r) {
    if (in_heap_) {
      heap_.push(r);
      if (heap_.size() > kToRadix) [[unlikely]] to_radix();
    } else {
      radix_.push(r);
    }
  }
  [[nodiscard]] bool empty() const { return in_heap_ ? heap_.empty() : radix_.empty(); }
  [[nodiscard]] std::size_t size() const { return in_heap_ ? heap_.size() : radix_.size(); }
  [[nodiscard]] std::int64_t top_time() const { return in_heap_ ? heap_.top_time() : radix_.top_time(); }
  const EventRecord& top() { return in_heap_ ? heap_.top() : radix_.top(); }
  [[nodiscard]] const EventRecord* lookahead(std::size_t k) const {
    return in_heap_ ? heap_.lookahead(k) : radix_.lookahead(k);
  }
  void pop() {
    if (in_heap_) {
      heap_.pop();
    } else {
      radix_.pop();
      if (radix_.size() < kToHeap) [[unlikely]] to_heap();
    }
  }
  void reserve(std::size_t n) {
    heap_.reserve(std::min(n, kToRadix + 1));
    if (n > kToRadix) radix_.reserve(n);
  }
  [[nodiscard]] bool in_heap() const { return in_heap_; }

 private:
  // Both move every record in execution order: the receiving queue then
  // breaks ties by the order of these pushes, which is the old order.
  void to_radix() {
    radix_.reset_base();  // it may have handed out later times than now before it emptied
    while (!heap_.empty()) {
      radix_.push(heap_.top());
      heap_.pop();
    }
    in_heap_ = false;
  }
  void to_heap() {
    while (!radix_.empty()) {
      heap_.push(radix_.top());
      radix_.pop();
    }
    in_heap_ = true;
  }

  QuaternaryEventQueue heap_;
  RadixEventQueue radix_;
  bool in_heap_ = true;
};

}  // namespace drsim::detail
