'use client';
/** The one hook behind every view wrapper: render plain data into a div after each React render (renders are idempotent). */
import { useEffect, useRef } from 'react';

export function useD3View<D, O>(render: (container: HTMLElement, data: D, options?: O) => void, data: D, options: O) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) render(ref.current, data, options);
  });
  return ref;
}
