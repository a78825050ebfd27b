// drsim: the one include for users.
#pragma once

#include "drsim/core/random.hpp"
#include "drsim/core/simulator.hpp"
#include "drsim/core/stats.hpp"
#include "drsim/core/time.hpp"
#include "drsim/version.hpp"
