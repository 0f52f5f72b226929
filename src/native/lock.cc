// One agent per state directory: an exclusive flock(2) on <state-dir>/lock,
// held by an open file descriptor for the life of the process (the kernel
// drops it when the process dies, however it dies, so there is never a stale
// lock to clean up). flock locks belong to the open file description, not the
// process, so a second agent in the same process is refused too. Node has no
// flock; this is a synchronous call on the JS thread (the state directory is
// local disk, not instance storage).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "storage.h"

namespace virt {

namespace {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  Napi::Error e = Napi::Error::New(env, std::string(strerror(err)) + ", " + syscall + " '" + path + "'");
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

}  // namespace

Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw ErrnoError(env, errno, "open", path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder;
    if (err == EWOULDBLOCK) {
      char buf[64] = {0};
      ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
      if (n > 0) holder.assign(buf, static_cast<size_t>(n));
    }
    close(fd);
    Napi::Error e = ErrnoError(env, err, "flock", path);
    if (err == EWOULDBLOCK) e.Set("holder", Napi::String::New(env, holder));
    throw e;
  }
  // Who holds it, for the message a second agent prints. The lock, not this
  // content, is what counts.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, "write", path);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace virt
