// Shared pieces of the libvirt addon: error capture and the promise worker.
#pragma once

#include <napi.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <functional>
#include <memory>
#include <string>

namespace virt {

// A copy of libvirt's per-thread last error, taken on the thread that failed.
struct LvError {
  int code = 0;
  int domain = 0;
  int level = 0;
  int int1 = -1;
  std::string message;
};

// Reads virGetLastError() of the calling thread (it is thread-local, so this
// must run inside the worker that made the failing call) and resets it.
LvError CaptureError(const char* fallback);

// An Error with name "LibvirtError" and code/domain/level/int1 properties.
Napi::Value MakeError(Napi::Env env, const LvError& err);

class Delivery;

// Per-environment data: constructors for the wrapped classes and the channel
// finished pool jobs come back through (pool.h).
struct AddonData {
  Napi::FunctionReference connectCtor;
  Napi::FunctionReference domainCtor;
  std::shared_ptr<Delivery> delivery;
};

// Runs one blocking libvirt call on the binding's libvirt pool (pool.h: its
// own threads, never libuv's) and settles a promise. `exec` returns false on
// a libvirt failure; the error is captured on the same pool thread
// (virGetLastError is per thread); `release` (optional) runs there afterwards
// and drops references taken for the call; `resolve` builds the JS value on
// the JS thread.
class LvWorker {
 public:
  using ExecFn = std::function<bool()>;
  using ResolveFn = std::function<Napi::Value(Napi::Env)>;
  using ReleaseFn = std::function<void()>;

  static Napi::Promise Queue(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release = nullptr);
};

// Argument helpers: throw a TypeError naming the argument on a wrong type.
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i);
Napi::Value Rejected(Napi::Env env, const std::string& message);

}  // namespace virt
