/** Short notices in a corner: toast('Saved'), toast('Failed', 'error'). */
import { useEffect, useState } from 'react';

type Kind = 'info' | 'success' | 'error';
interface Toast {
  id: number;
  text: string;
  kind: Kind;
}

let listeners: ((toast: Toast) => void)[] = [];
let counter = 0;

export function toast(text: string, kind: Kind = 'info'): void {
  const item = { id: (counter += 1), text, kind };
  listeners.forEach((listener) => listener(item));
}

export function Toasts() {
  const [items, setItems] = useState<Toast[]>([]);
  useEffect(() => {
    const listener = (item: Toast) => {
      setItems((current) => [...current, item]);
      window.setTimeout(() => setItems((current) => current.filter((t) => t.id !== item.id)), 5000);
    };
    listeners.push(listener);
    return () => {
      listeners = listeners.filter((l) => l !== listener);
    };
  }, []);
  return (
    <div className="toasts" aria-live="polite">
      {items.map((item) => (
        <div key={item.id} className={`toast toast-${item.kind}`} role={item.kind === 'error' ? 'alert' : 'status'}>
          {item.text}
        </div>
      ))}
    </div>
  );
}
