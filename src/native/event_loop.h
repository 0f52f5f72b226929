#pragma once

#include <node_api.h>

namespace virt {

// Registers libvirt's default event implementation (once per process) and
// keeps one loop thread running while any JS environment uses the addon; the
// thread is stopped and joined when the last environment is torn down.
bool AcquireEventLoop(napi_env env);

}  // namespace virt
