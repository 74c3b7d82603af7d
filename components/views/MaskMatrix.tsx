'use client';
import type { CSSProperties } from 'react';
import { renderMaskMatrix, type MaskMatrixData, type MaskMatrixOptions } from './mask-matrix';
import { useD3View } from './useD3View';

export interface MaskMatrixProps extends MaskMatrixOptions {
  data: MaskMatrixData;
  className?: string;
  style?: CSSProperties;
}

export function MaskMatrix({ data, className, style, ...options }: MaskMatrixProps) {
  const ref = useD3View(renderMaskMatrix, data, options);
  return <div ref={ref} className={className} style={style} data-view="mask-matrix" />;
}
