#pragma once

#include "common.h"

namespace virt {

// The `describe` object: domain(), lookup(), all() — a domain's state,
// activity, persistence, managed-save image and XML in one pool job.
Napi::Object DescribeExports(Napi::Env env);

}  // namespace virt
