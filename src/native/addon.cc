// Entry point of the project-owned libvirt binding (see README: why not node-libvirt).
#include "common.h"
#include "connect.h"
#include "domain.h"
#include "event_loop.h"

namespace virt {
namespace {

// libvirt prints every error to stderr by default; the agent reports them itself.
void QuietErrors(void*, virErrorPtr) {}

Napi::Value GetLibraryVersion(const Napi::CallbackInfo& info) {
  unsigned long v = 0;
  if (virGetVersion(&v, nullptr, nullptr) < 0) throw Napi::Error::New(info.Env(), "virGetVersion failed");
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  virSetErrorFunc(nullptr, QuietErrors);
  if (virInitialize() < 0) throw Napi::Error::New(env, "virInitialize failed");
  if (!AcquireEventLoop(env)) throw Napi::Error::New(env, "cannot register libvirt's default event loop");

  auto* data = new AddonData();
  Napi::Function connect = Connect::Init(env);
  Napi::Function domain = Domain::Init(env);
  data->connectCtor = Napi::Persistent(connect);
  data->domainCtor = Napi::Persistent(domain);
  env.SetInstanceData<AddonData>(data);

  exports.Set("open", Napi::Function::New(env, Connect::Open, "open"));
  exports.Set("getLibraryVersion", Napi::Function::New(env, GetLibraryVersion, "getLibraryVersion"));
  exports.Set("Connect", connect);
  exports.Set("Domain", domain);
  return exports;
}

}  // namespace virt

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return virt::Init(env, exports); }

NODE_API_MODULE(virt_libvirt, InitAddon)
