'use client';
import type { CSSProperties } from 'react';
import { renderAttentionMatrix, type AttentionMatrixData, type AttentionMatrixOptions } from './attention-map';
import { useD3View } from './useD3View';

export interface AttentionMatrixProps extends AttentionMatrixOptions {
  data: AttentionMatrixData;
  className?: string;
  style?: CSSProperties;
}

export function AttentionMatrix({ data, className, style, ...options }: AttentionMatrixProps) {
  const ref = useD3View(renderAttentionMatrix, data, options);
  return <div ref={ref} className={className} style={style} data-view="attention-matrix" />;
}
