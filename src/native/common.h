// Shared pieces of the libvirt addon: error capture and the promise worker.
#pragma once

#include <napi.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <functional>
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

// Per-environment data: constructors for the wrapped classes.
struct AddonData {
  Napi::FunctionReference connectCtor;
  Napi::FunctionReference domainCtor;
};

// Runs one blocking libvirt call on the libuv thread pool and settles a
// promise. `exec` returns false on a libvirt failure; `release` (optional)
// runs on the pool thread after the error was captured and drops references
// taken for the call; `resolve` builds the JS value on the main thread.
class LvWorker : public Napi::AsyncWorker {
 public:
  using ExecFn = std::function<bool()>;
  using ResolveFn = std::function<Napi::Value(Napi::Env)>;
  using ReleaseFn = std::function<void()>;

  static Napi::Promise Queue(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release = nullptr);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  LvWorker(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release);

  Napi::Promise::Deferred deferred_;
  ExecFn exec_;
  ResolveFn resolve_;
  ReleaseFn release_;
  LvError err_;
};

// Argument helpers: throw a TypeError naming the argument on a wrong type.
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i);
Napi::Value Rejected(Napi::Env env, const std::string& message);

}  // namespace virt
