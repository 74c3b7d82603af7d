'use client';
/**
 * The one hook behind every view wrapper: render plain data into a div after each React render
 * (renders are idempotent), at the width the div has — measured with a ResizeObserver, so a view on a
 * 390 px phone is drawn for 390 px instead of being drawn for a desktop and scaled down. An explicit
 * `width` option wins; where nothing can be measured (jsdom), the view keeps its default width.
 */
import { useEffect, useRef, useState } from 'react';

export function useD3View<D, O extends { width?: number }>(render: (container: HTMLElement, data: D, options?: O) => void, data: D, options: O) {
  const ref = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState<number | undefined>(undefined);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry.contentRect.width);
      // 0 while hidden (a closed <details>): keep the last width rather than drawing for nothing.
      if (w > 0) setMeasured((old) => (old === w ? old : w));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (ref.current) render(ref.current, data, options.width === undefined && measured !== undefined ? { ...options, width: measured } : options);
  });
  return ref;
}
