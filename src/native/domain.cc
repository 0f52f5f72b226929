#include "domain.h"

#include <cstdlib>

namespace virt {

Napi::Function Domain::Init(Napi::Env env) {
  return DefineClass(env, "Domain", {
      InstanceMethod("getName", &Domain::GetName),
      InstanceMethod("getUUIDString", &Domain::GetUUIDString),
      InstanceMethod("getID", &Domain::GetID),
      InstanceMethod("getState", &Domain::GetState),
      InstanceMethod("isActive", &Domain::IsActive),
      InstanceMethod("isPersistent", &Domain::IsPersistent),
      InstanceMethod("hasManagedSaveImage", &Domain::HasManagedSaveImage),
      InstanceMethod("getXMLDesc", &Domain::GetXMLDesc),
      InstanceMethod("snapshotNum", &Domain::SnapshotNum),
      InstanceMethod("snapshotCreateXML", &Domain::SnapshotCreateXML),
      InstanceMethod("attachDeviceFlags", &Domain::AttachDeviceFlags),
      InstanceMethod("detachDeviceFlags", &Domain::DetachDeviceFlags),
      InstanceMethod("createWithFlags", &Domain::CreateWithFlags),
      InstanceMethod("shutdownFlags", &Domain::ShutdownFlags),
      InstanceMethod("destroyFlags", &Domain::DestroyFlags),
      InstanceMethod("undefineFlags", &Domain::UndefineFlags),
      InstanceMethod("managedSave", &Domain::ManagedSave),
      InstanceMethod("managedSaveRemove", &Domain::ManagedSaveRemove),
      InstanceMethod("reset", &Domain::Reset),
      InstanceMethod("suspend", &Domain::Suspend),
      InstanceMethod("resume", &Domain::Resume),
  });
}

Napi::Value WrapDomain(Napi::Env env, virDomainPtr dom) {
  auto* data = env.GetInstanceData<AddonData>();
  return data->domainCtor.New({Napi::External<virDomain>::New(env, dom)});
}

Domain::Domain(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Domain>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Domain cannot be constructed from JS");
  }
  dom_ = info[0].As<Napi::External<virDomain>>().Data();
}

Domain::~Domain() {
  if (dom_ != nullptr) virDomainFree(dom_);
}

// Name, UUID and id are cached in the virDomain object at lookup time, so
// these never leave the process. The id is the one seen at lookup.
Napi::Value Domain::GetName(const Napi::CallbackInfo& info) {
  const char* n = virDomainGetName(dom_);
  return Napi::String::New(info.Env(), n != nullptr ? n : "");
}

Napi::Value Domain::GetUUIDString(const Napi::CallbackInfo& info) {
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  virDomainGetUUIDString(dom_, uuid);
  return Napi::String::New(info.Env(), uuid);
}

Napi::Value Domain::GetID(const Napi::CallbackInfo& info) {
  unsigned int id = virDomainGetID(dom_);
  return Napi::Number::New(info.Env(), id == static_cast<unsigned int>(-1) ? -1 : static_cast<double>(id));
}

Napi::Value Domain::GetState(const Napi::CallbackInfo& info) {
  virDomainPtr d = dom_;
  virDomainRef(d);
  auto st = std::make_shared<std::pair<int, int>>(0, 0);
  return LvWorker::Queue(
      info.Env(), [d, st]() { return virDomainGetState(d, &st->first, &st->second, 0) >= 0; },
      [st](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("state", st->first);
        o.Set("reason", st->second);
        return o;
      },
      [d]() { virDomainFree(d); });
}

Napi::Value Domain::IntCall(const Napi::CallbackInfo& info, std::function<int(virDomainPtr)> fn) {
  virDomainPtr d = dom_;
  virDomainRef(d);
  auto rc = std::make_shared<int>(0);
  return LvWorker::Queue(
      info.Env(), [d, rc, fn]() { *rc = fn(d); return *rc >= 0; },
      [rc](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *rc); },
      [d]() { virDomainFree(d); });
}

Napi::Value Domain::FlagsCall(const Napi::CallbackInfo& info, int (*fn)(virDomainPtr, unsigned int)) {
  unsigned int flags = ArgFlags(info, 0);
  return IntCall(info, [fn, flags](virDomainPtr d) { return fn(d, flags); });
}

Napi::Value Domain::IsActive(const Napi::CallbackInfo& info) {
  return IntCall(info, [](virDomainPtr d) { return virDomainIsActive(d); });
}

Napi::Value Domain::IsPersistent(const Napi::CallbackInfo& info) {
  return IntCall(info, [](virDomainPtr d) { return virDomainIsPersistent(d); });
}

Napi::Value Domain::HasManagedSaveImage(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return IntCall(info, [flags](virDomainPtr d) { return virDomainHasManagedSaveImage(d, flags); });
}

Napi::Value Domain::SnapshotNum(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  return IntCall(info, [flags](virDomainPtr d) { return virDomainSnapshotNum(d, flags); });
}

Napi::Value Domain::SnapshotCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return IntCall(info, [xml, flags](virDomainPtr d) {
    virDomainSnapshotPtr s = virDomainSnapshotCreateXML(d, xml.c_str(), flags);
    if (s == nullptr) return -1;
    virDomainSnapshotFree(s);
    return 0;
  });
}

Napi::Value Domain::AttachDeviceFlags(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return IntCall(info, [xml, flags](virDomainPtr d) { return virDomainAttachDeviceFlags(d, xml.c_str(), flags); });
}

Napi::Value Domain::DetachDeviceFlags(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return IntCall(info, [xml, flags](virDomainPtr d) { return virDomainDetachDeviceFlags(d, xml.c_str(), flags); });
}

Napi::Value Domain::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  virDomainPtr d = dom_;
  virDomainRef(d);
  auto out = std::make_shared<std::string>();
  return LvWorker::Queue(
      info.Env(),
      [d, flags, out]() {
        char* x = virDomainGetXMLDesc(d, flags);
        if (x == nullptr) return false;
        *out = x;
        free(x);
        return true;
      },
      [out](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *out); },
      [d]() { virDomainFree(d); });
}

Napi::Value Domain::CreateWithFlags(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainCreateWithFlags(d, f); });
}
Napi::Value Domain::ShutdownFlags(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainShutdownFlags(d, f); });
}
Napi::Value Domain::DestroyFlags(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainDestroyFlags(d, f); });
}
Napi::Value Domain::UndefineFlags(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainUndefineFlags(d, f); });
}
Napi::Value Domain::ManagedSave(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainManagedSave(d, f); });
}
Napi::Value Domain::ManagedSaveRemove(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainManagedSaveRemove(d, f); });
}
Napi::Value Domain::Reset(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int f) { return virDomainReset(d, f); });
}
Napi::Value Domain::Suspend(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int) { return virDomainSuspend(d); });
}
Napi::Value Domain::Resume(const Napi::CallbackInfo& info) {
  return FlagsCall(info, [](virDomainPtr d, unsigned int) { return virDomainResume(d); });
}

}  // namespace virt
