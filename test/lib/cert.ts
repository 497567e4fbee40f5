/**
 * A self-signed certificate for 127.0.0.1 and localhost, made at run time with openssl (no key is
 * committed): for the TLS tests and for the chaos run's nodes. Without openssl the caller gets the
 * reason instead (the chaos run then goes on without TLS and says so).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Cert {
  certFile: string;
  keyFile: string;
  /** The certificate itself: the clients trust it as their CA. */
  ca: Buffer;
}

/** Writes cert.pem and key.pem into `dir`; when openssl is missing or fails, the reason instead. */
export async function makeCert(dir: string): Promise<Cert | string> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    await promisify(execFile)(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile],
      { timeout: 30_000 },
    );
  } catch (err) {
    return `openssl could not make a certificate: ${(err as Error).message.split('\n')[0]}`;
  }
  fs.chmodSync(keyFile, 0o600);
  return { certFile, keyFile, ca: fs.readFileSync(certFile) };
}

/** The certificate and key of makeCert, read; throws when openssl is missing (the TLS tests need it). */
export async function tlsFiles(dir: string): Promise<{ cert: Buffer; key: Buffer }> {
  const c = await makeCert(dir);
  if (typeof c === 'string') throw new Error(c);
  return { cert: c.ca, key: fs.readFileSync(c.keyFile) };
}
