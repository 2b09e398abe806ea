import AdmZip from 'adm-zip';
import { join } from 'node:path';
import { FIXTURES } from './test-host';

/** A zip of a fixture plugin folder, its files under one top folder named `top` (or at the root when top is ''). */
export function zipFixture(fixture: string, top = fixture, patch?: (zip: AdmZip) => void): Buffer {
  const zip = new AdmZip();
  zip.addLocalFolder(join(FIXTURES, fixture), top);
  patch?.(zip);
  return zip.toBuffer();
}

/** POSTs a zip to the admin import endpoint as multipart/form-data, as curl -F does. */
export async function uploadZip(baseUrl: string, token: string, zip: Buffer, fileName: string, overwrite = false) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), fileName);
  if (overwrite) form.append('overwrite', 'true');
  const res = await fetch(`${baseUrl}/api/admin/plugins/import`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}
