// Objects addressed by a 32-bit index and recycled through a free list: the
// requests in flight, a gateway's request slots, the app's call stacks.
// Once a pool has grown to the peak number in use, acquire and release
// never allocate, and an index is small enough for an event to capture.
#pragma once

#include <cstdint>
#include <vector>

namespace drsim {

template <class T>
class IndexPool {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;

  /// An index to use; a recycled object keeps its old contents (callers set
  /// what they need), the most recently released first.
  std::uint32_t acquire() {
    ++live_;
    if (free_ != npos) {
      const std::uint32_t i = free_;
      free_ = next_[i];
      return i;
    }
    items_.emplace_back();
    next_.push_back(npos);
    return static_cast<std::uint32_t>(items_.size() - 1);
  }
  void release(std::uint32_t i) {
    next_[i] = free_;
    free_ = i;
    --live_;
  }

  T& operator[](std::uint32_t i) { return items_[i]; }
  const T& operator[](std::uint32_t i) const { return items_[i]; }
  /// Objects ever created: the peak number in use at once.
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  /// Objects in use now.
  [[nodiscard]] std::size_t live() const { return live_; }
  void reserve(std::size_t n) {
    items_.reserve(n);
    next_.reserve(n);
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> next_;
  std::uint32_t free_ = npos;
  std::size_t live_ = 0;
};

}  // namespace drsim
