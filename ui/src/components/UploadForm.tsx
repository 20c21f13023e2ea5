import { useState } from 'preact/hooks';
import { ApiError, authHeaders } from '../api';
import { ErrorBox } from './ErrorBox';

interface UploadResult {
  readonly added: readonly unknown[];
  readonly unchanged: readonly unknown[];
  readonly replaced: readonly unknown[];
}

/** Adds .deb files to a local repo: one multipart POST /api/repos/NAME/packages. */
export function UploadForm({ repo, onDone }: { repo: string; onDone: () => void }) {
  const [files, setFiles] = useState<FileList | null>(null);
  const [said, setSaid] = useState('');
  const [error, setError] = useState<ApiError>();
  const id = `upload-${repo}`;
  const upload = async (): Promise<void> => {
    if (!files || files.length === 0) return;
    const body = new FormData();
    for (const f of Array.from(files)) body.append('file', f, f.name);
    setSaid('Uploading…');
    setError(undefined);
    const res = await fetch(`/api/repos/${encodeURIComponent(repo)}/packages`, { method: 'POST', headers: authHeaders(), body });
    const json = (await res.json().catch(() => ({}))) as UploadResult & { error?: { code: string; message: string } };
    if (!res.ok) {
      setSaid('');
      setError(new ApiError(res.status, json.error?.code ?? `HTTP_${res.status}`, json.error?.message ?? ''));
      return;
    }
    setSaid(`${json.added.length} added, ${json.unchanged.length} unchanged, ${json.replaced.length} replaced.`);
    onDone();
  };
  return (
    <form
      class="upload"
      onSubmit={(e) => {
        e.preventDefault();
        void upload();
      }}
    >
      <label for={id}>Upload .deb files to {repo}</label>
      <input id={id} type="file" accept=".deb,.udeb,application/vnd.debian.binary-package" multiple onChange={(e) => setFiles(e.currentTarget.files)} />
      <button type="submit" disabled={!files || files.length === 0}>
        Upload
      </button>
      <span role="status">{said}</span>
      {error && <ErrorBox error={error} />}
    </form>
  );
}
