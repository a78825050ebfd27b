// The one pool of worker threads that runs replications, for drsim::run and
// for sweeps (and so solve and sensitivity). Private to the library.
#pragma once

#include <cstddef>
#include <functional>

namespace drsim::detail {

/// Runs task(i) for every i in [0, n) on up to `threads` threads (0: one per
/// core; never more threads than tasks), each task once, in no fixed order:
/// callers write results by index, so the outcome does not depend on the
/// threads. The first exception stops the tasks not yet started and is
/// rethrown. When the system refuses to start a thread (a memory or thread
/// limit), the tasks run on the threads that did start, the caller's at least.
void for_each_task(std::size_t n, int threads, const std::function<void(std::size_t)>& task);

}  // namespace drsim::detail
