// Pending-event queues for the simulator.
//
// Both queues hold small plain records and pop them in (time, insertion)
// order, which is what makes a run deterministic. The simulator uses the
// radix heap: simulated time never decreases, so the queue can be keyed on the
// integer time alone, bucketed by the highest bit in which a key differs from
// the last popped time. Each record moves at most 64 times over its life and
// every bucket is a contiguous vector, which beats comparison heaps at every
// size measured in bench/README.md. The 4-ary heap stays as the comparison
// point for the benchmark.
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

/// Monotone radix heap. Precondition of push: time >= time of the last pop.
/// Equal times pop in push order: equal keys always share a bucket, buckets
/// are appended to in order and redistributed by a stable scan, and bucket 0
/// is consumed from the front.
///
/// Buckets are chains of fixed-size chunks drawn from one shared pool. A
/// bucket for a high bit can briefly hold nearly every pending record when
/// the clock nears a power of two; with per-bucket vectors each of the 65
/// buckets would keep that much capacity for ever (and allocate the first
/// time it happens). With a shared pool, memory follows the number of
/// pending records and the steady state never allocates.
class RadixEventQueue {
  static constexpr std::uint32_t kChunk = 128;
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Chunk {
    EventRecord recs[kChunk];
    std::uint32_t next;
    std::uint32_t count;
  };
  struct Bucket {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
    std::uint32_t head_pos = 0;  // bucket 0 only: records consumed in the head chunk
    [[nodiscard]] bool empty() const { return head == kNone; }
  };

 public:
  void push(const EventRecord& r) {
    append(buckets_[bucket_of(static_cast<std::uint64_t>(r.time))], r);
    ++size_;
  }

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }

  /// The next record; precondition !empty().
  const EventRecord& top() {
    refill();
    const Bucket& b0 = buckets_[0];
    return pool_[b0.head].recs[b0.head_pos];
  }

  void pop() {
    refill();
    Bucket& b0 = buckets_[0];
    Chunk& c = pool_[b0.head];
    if (++b0.head_pos == c.count && (c.count == kChunk || c.next != kNone)) {
      const std::uint32_t next = c.next;
      release(b0.head);
      b0.head = next;
      b0.head_pos = 0;
      if (next == kNone) b0.tail = kNone;
    }
    --size_;
  }

  /// Pre-sizes the chunk pool for `n` pending records.
  void reserve(std::size_t n) {
    const std::size_t chunks = n / kChunk + 66;
    pool_.reserve(chunks);
    while (pool_.size() < chunks) {
      pool_.push_back(Chunk{});
      release(static_cast<std::uint32_t>(pool_.size() - 1));
    }
  }

 private:
  [[nodiscard]] std::size_t bucket_of(std::uint64_t key) const {
    const std::uint64_t x = key ^ last_;
    return x == 0 ? 0 : static_cast<std::size_t>(64 - std::countl_zero(x));
  }

  std::uint32_t acquire() {
    std::uint32_t i;
    if (free_ != kNone) {
      i = free_;
      free_ = pool_[i].next;
    } else {
      i = static_cast<std::uint32_t>(pool_.size());
      pool_.push_back(Chunk{});
    }
    pool_[i].next = kNone;
    pool_[i].count = 0;
    return i;
  }
  void release(std::uint32_t i) {
    pool_[i].next = free_;
    free_ = i;
  }

  void append(Bucket& b, const EventRecord& r) {
    if (b.tail == kNone || pool_[b.tail].count == kChunk) {
      const std::uint32_t c = acquire();  // may move pool_: index, do not hold references
      if (b.tail == kNone) {
        b.head = c;
        b.head_pos = 0;
      } else {
        pool_[b.tail].next = c;
      }
      b.tail = c;
    }
    Chunk& t = pool_[b.tail];
    t.recs[t.count++] = r;
  }

  void refill() {
    Bucket& b0 = buckets_[0];
    if (!b0.empty()) {
      if (b0.head_pos < pool_[b0.head].count) return;
      // Head chunk fully consumed and it is the tail: bucket 0 is empty.
      release(b0.head);
      b0 = Bucket{};
    }
    std::size_t i = 1;
    while (buckets_[i].empty()) ++i;
    const Bucket src = buckets_[i];
    buckets_[i] = Bucket{};
    std::uint64_t min_key = UINT64_MAX;
    for (std::uint32_t c = src.head; c != kNone; c = pool_[c].next)
      for (std::uint32_t k = 0; k < pool_[c].count; ++k)
        min_key = std::min(min_key, static_cast<std::uint64_t>(pool_[c].recs[k].time));
    last_ = min_key;
    for (std::uint32_t c = src.head; c != kNone;) {
      for (std::uint32_t k = 0; k < pool_[c].count; ++k) {
        const EventRecord r = pool_[c].recs[k];
        append(buckets_[bucket_of(static_cast<std::uint64_t>(r.time))], r);
      }
      const std::uint32_t next = pool_[c].next;
      release(c);
      c = next;
    }
  }

  std::vector<Chunk> pool_;
  std::uint32_t free_ = kNone;
  std::array<Bucket, 65> buckets_{};
  std::uint64_t last_ = 0;
  std::size_t size_ = 0;
};

/// Implicit 4-ary min-heap on (time, sequence): the comparison-based reference.
class QuaternaryEventQueue {
 public:
  void push(const EventRecord& r) {
    heap_.push_back({r, seq_++});
    sift_up(heap_.size() - 1);
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  const EventRecord& top() { return heap_.front().rec; }
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

}  // namespace drsim::detail
