#pragma once

#include "common.h"

namespace virt {

// The `storage` object: stat, realpath, unlink, rmdir, rmTree, readdir,
// readFile, writeFile (promises, on the storage pool) and its size/stats.
Napi::Object StorageExports(Napi::Env env);
// The `libvirtPool` object: setMaxThreads(n), stats().
Napi::Object LibvirtPoolExports(Napi::Env env);
// lockFile(path) -> fd, unlockFile(fd): an exclusive flock held by the fd.
Napi::Value LockFile(const Napi::CallbackInfo& info);
Napi::Value UnlockFile(const Napi::CallbackInfo& info);

}  // namespace virt
