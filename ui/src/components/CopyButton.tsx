import { useState } from 'preact/hooks';

/** Copies `text`; says so in a live region (the clipboard API needs a secure context or localhost). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState('');
  return (
    <>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setSaid('Copied.'),
            () => setSaid('Copying failed: select the text and copy it by hand.'),
          )
        }
      >
        {label}
      </button>
      <span role="status" class="muted">
        {said}
      </span>
    </>
  );
}
