import { vi } from 'vitest';

export function container(): HTMLDivElement {
  const div = document.createElement('div');
  document.body.appendChild(div);
  return div;
}

export function hover(el: Element | null | undefined): void {
  if (!el) throw new Error('no element to hover');
  el.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
  el.dispatchEvent(new MouseEvent('mouseenter', { bubbles: false }));
}

export function click(el: Element | null | undefined): void {
  if (!el) throw new Error('no element to click');
  el.dispatchEvent(new MouseEvent('click', { bubbles: true }));
}

/** Pretend a 2D canvas exists (jsdom has none) so the dense-grid canvas path runs. */
export function stubCanvas() {
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: vi.fn(),
  };
  const getContext = vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation((() => ctx) as never);
  const toDataURL = vi.spyOn(HTMLCanvasElement.prototype, 'toDataURL').mockImplementation(() => 'data:image/png;base64,AAAA');
  return {
    ctx,
    restore() {
      getContext.mockRestore();
      toDataURL.mockRestore();
    },
  };
}
