'use client';
import type { CSSProperties } from 'react';
import { renderTokenStrip, type TokenStripData, type TokenStripOptions } from './token-strip';
import { useD3View } from './useD3View';

export interface TokenStripProps extends TokenStripOptions {
  data: TokenStripData;
  className?: string;
  style?: CSSProperties;
}

export function TokenStrip({ data, className, style, ...options }: TokenStripProps) {
  const ref = useD3View(renderTokenStrip, data, options);
  return <div ref={ref} className={className} style={style} data-view="token-strip" />;
}
