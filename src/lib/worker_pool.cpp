#include "worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace drsim::detail {

void for_each_task(std::size_t n, int threads, const std::function<void(std::size_t)>& task) {
  if (n == 0) return;
  std::size_t want = threads > 0 ? static_cast<std::size_t>(threads) : std::max(1u, std::thread::hardware_concurrency());
  want = std::min(want, n);
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(n);
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < want; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: carry on with those running
    }
  }
  worker();  // the calling thread works too
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace drsim::detail
