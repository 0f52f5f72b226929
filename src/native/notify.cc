// The systemd notification protocol (sd_notify(3)): one datagram of
// "KEY=VALUE\n" lines to the unix socket named by $NOTIFY_SOCKET. A path
// starting with '@' is an abstract socket (the '@' becomes a NUL byte).
// Its own small addon (target virt_notify in binding.gyp) so virt-controller
// can use it without loading libvirt. Synchronous on the JS thread: a datagram
// to a local socket, sent with MSG_DONTWAIT so a full receive queue drops
// this one message instead of blocking the event loop.
#include <napi.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

Napi::Value Notify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "notify(socketPath: string, message: string)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string message = info[1].As<Napi::String>().Utf8Value();

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || (path[0] != '/' && path[0] != '@') || path.size() > sizeof(addr.sun_path) - 1) {
    throw Napi::Error::New(env, "NOTIFY_SOCKET must be an absolute path or @abstract name of at most 107 bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract: no terminating NUL counted
  else len += 1;

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Napi::Error::New(env, std::string("socket: ") + strerror(errno));
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                        reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) throw Napi::Error::New(env, std::string("sendto ") + path + ": " + strerror(err));
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("notify", Napi::Function::New(env, Notify, "notify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(virt_notify, Init)
