'use client';
import type { CSSProperties } from 'react';
import { renderGroupOrder, type GroupOrderData, type GroupOrderOptions } from './group-order';
import { useD3View } from './useD3View';

export interface GroupOrderProps extends GroupOrderOptions {
  data: GroupOrderData;
  className?: string;
  style?: CSSProperties;
}

export function GroupOrder({ data, className, style, ...options }: GroupOrderProps) {
  const ref = useD3View(renderGroupOrder, data, options);
  return <div ref={ref} className={className} style={style} data-view="group-order" />;
}
