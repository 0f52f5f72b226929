#pragma once

#include "common.h"

namespace virt {

// Wraps one virDomainPtr; the reference is dropped when the JS object is
// garbage collected (the domain keeps its connection alive until then).
class Domain : public Napi::ObjectWrap<Domain> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Domain(const Napi::CallbackInfo& info);
  ~Domain() override;

  // Takes a reference on the domain for one pool call (released with virDomainFree).
  virDomainPtr Acquire() {
    virDomainRef(dom_);
    return dom_;
  }

 private:
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetUUIDString(const Napi::CallbackInfo& info);
  Napi::Value GetID(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value HasManagedSaveImage(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value SnapshotNum(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCreateXML(const Napi::CallbackInfo& info);
  Napi::Value AttachDeviceFlags(const Napi::CallbackInfo& info);
  Napi::Value DetachDeviceFlags(const Napi::CallbackInfo& info);
  Napi::Value CreateWithFlags(const Napi::CallbackInfo& info);
  Napi::Value ShutdownFlags(const Napi::CallbackInfo& info);
  Napi::Value DestroyFlags(const Napi::CallbackInfo& info);
  Napi::Value UndefineFlags(const Napi::CallbackInfo& info);
  Napi::Value ManagedSave(const Napi::CallbackInfo& info);
  Napi::Value ManagedSaveRemove(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  // Calls that take only flags and return 0 / -1.
  Napi::Value FlagsCall(const Napi::CallbackInfo& info, int (*fn)(virDomainPtr, unsigned int));
  // Calls that return a non-negative int (boolean or count) / -1.
  Napi::Value IntCall(const Napi::CallbackInfo& info, std::function<int(virDomainPtr)> fn);

  virDomainPtr dom_ = nullptr;
};

// Creates the JS object for a domain, taking over the reference `dom`.
Napi::Value WrapDomain(Napi::Env env, virDomainPtr dom);

}  // namespace virt
