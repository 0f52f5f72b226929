// A unix socket posing as libvirtd: it accepts libvirt RPC connections and
// never answers, so every libvirt call on it stalls (deterministically, unlike
// a dead mount). close() hangs them all up and removes its directory.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function silentLibvirtd(): Promise<{ socket: string; close(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'silent-libvirtd-'));
  const socket = path.join(dir, 'libvirt-sock');
  const held: net.Socket[] = [];
  const server = net.createServer((s) => {
    held.push(s);
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    close() {
      held.forEach((s) => s.destroy());
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
