import { useState } from 'preact/hooks';
import { getToken, setToken } from '../token';

/** Enter the API token once; it stays in this tab's session storage. */
export function TokenForm({ onChange }: { onChange: () => void }) {
  const [has, setHas] = useState(getToken() !== '');
  const [text, setText] = useState('');
  if (has)
    return (
      <div class="token">
        <span>Token set for this session.</span>
        <button
          type="button"
          onClick={() => {
            setToken('');
            setHas(false);
            onChange();
          }}
        >
          Forget token
        </button>
      </div>
    );
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(text.trim());
        setText('');
        setHas(text.trim() !== '');
        onChange();
      }}
    >
      <label for="token">API token</label>
      <input id="token" type="password" autoComplete="off" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="dst_…" />
      <button type="submit">Use token</button>
    </form>
  );
}
