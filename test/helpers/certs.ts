// Certificates made at test time with the openssl CLI (P-256 keys, 2 days).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
export const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n';
/** For a daemon that serves and also calls others with the same certificate (the controller). */
export const SERVER_CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n';

export class CertDir {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-agent-certs-'));

  file(name: string): string {
    return path.join(this.dir, name);
  }

  private async openssl(...args: string[]): Promise<void> {
    await run('openssl', args, { cwd: this.dir, timeout: 30_000 });
  }

  /** `<name>.key` + `<name>.crt` for `subject`, signed by CA `ca`, or a self-signed CA when ca is undefined. */
  async make(name: string, subject: string, ca: string | undefined, ext = ''): Promise<void> {
    if (ca === undefined) {
      await this.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subject,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
      return;
    }
    fs.writeFileSync(this.file(`${name}.ext`), ext);
    await this.openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await this.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
      '-set_serial', `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`, '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
