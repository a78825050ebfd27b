// A type-erased `void()` callable stored inline in a fixed buffer.
//
// The event loop keeps one of these per pending event. Restricting captures
// to trivially copyable objects of at most kCapacity bytes means a callback is
// moved with memcpy and never owns heap memory, so scheduling allocates
// nothing in steady state. Model components capture `this` plus an index or
// two, which fits.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace drsim::detail {

class InplaceCallback {
 public:
  static constexpr std::size_t kCapacity = 32;

  InplaceCallback() = default;

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InplaceCallback>>>
  InplaceCallback(F&& f) {  // NOLINT(google-explicit-constructor): mirrors std::function
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity,
                  "drsim: an event callback may capture at most 32 bytes (capture `this` and indices, "
                  "keep larger state in the component)");
    static_assert(std::is_trivially_copyable_v<Fn> && std::is_trivially_destructible_v<Fn>,
                  "drsim: an event callback must be trivially copyable (capture pointers and numbers, "
                  "not std::string, std::vector or std::function)");
    static_assert(alignof(Fn) <= alignof(std::max_align_t));
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
    invoke_ = [](void* p) { (*std::launder(static_cast<Fn*>(p)))(); };
  }

  void operator()() { invoke_(storage_); }
  explicit operator bool() const { return invoke_ != nullptr; }

 private:
  void (*invoke_)(void*) = nullptr;
  alignas(std::max_align_t) unsigned char storage_[kCapacity]{};
};

static_assert(std::is_trivially_copyable_v<InplaceCallback>);

}  // namespace drsim::detail
