'use client';
import type { CSSProperties } from 'react';
import { renderAttentionMap, type AttentionMapData, type AttentionMapOptions } from './attention-map';
import { useD3View } from './useD3View';

export interface AttentionMapProps extends AttentionMapOptions {
  data: AttentionMapData;
  className?: string;
  style?: CSSProperties;
}

export function AttentionMap({ data, className, style, ...options }: AttentionMapProps) {
  const ref = useD3View(renderAttentionMap, data, options);
  return <div ref={ref} className={className} style={style} data-view="attention-map" />;
}
