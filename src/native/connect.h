#pragma once

#include <memory>
#include <mutex>
#include <set>

#include "common.h"

namespace virt {

// Shared by a connection and every libvirt callback registered on it, so a
// callback that fires while the connection closes finds `open == false`
// instead of a released ThreadSafeFunction.
struct EventSink {
  std::mutex mu;
  bool open = true;
  Napi::ThreadSafeFunction tsfn;
};

class Connect : public Napi::ObjectWrap<Connect> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Value Open(const Napi::CallbackInfo& info);

  explicit Connect(const Napi::CallbackInfo& info);
  ~Connect() override;

  // Takes a reference on the connection for one pool call; nullptr when closed.
  virConnectPtr Acquire();

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value SetEventHandler(const Napi::CallbackInfo& info);
  Napi::Value RegisterDomainEvent(const Napi::CallbackInfo& info);
  Napi::Value DeregisterDomainEvent(const Napi::CallbackInfo& info);
  Napi::Value RegisterCloseCallback(const Napi::CallbackInfo& info);
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetVersion(const Napi::CallbackInfo& info);
  Napi::Value GetURI(const Napi::CallbackInfo& info);
  Napi::Value LookupByName(const Napi::CallbackInfo& info);
  Napi::Value LookupByUUIDString(const Napi::CallbackInfo& info);
  Napi::Value DefineXML(const Napi::CallbackInfo& info);
  Napi::Value CreateXML(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);

  // Connection calls returning a string libvirt allocates / a version number.
  Napi::Value StringCall(const Napi::CallbackInfo& info, char* (*fn)(virConnectPtr));
  Napi::Value VersionCall(const Napi::CallbackInfo& info, int (*fn)(virConnectPtr, unsigned long*));
  Napi::Value DomainCall(const Napi::CallbackInfo& info,
                         std::function<virDomainPtr(virConnectPtr)> fn);

  virConnectPtr conn_ = nullptr;
  std::shared_ptr<EventSink> sink_;
  std::set<int> callbacks_;   // libvirt callback ids registered by JS
  bool closeCallback_ = false;
};

}  // namespace virt
