'use client';
import { useState, type CSSProperties } from 'react';
import { renderLossChart, type LossChartData, type LossChartOptions } from './loss-chart';
import { useD3View } from './useD3View';

export interface LossChartProps extends LossChartOptions {
  data: LossChartData;
  /** Show a "log scale" checkbox above the chart (its initial state is `logScale`). */
  logToggle?: boolean;
  className?: string;
  style?: CSSProperties;
}

export function LossChart({ data, logToggle, className, style, ...options }: LossChartProps) {
  const [log, setLog] = useState(!!options.logScale);
  const ref = useD3View(renderLossChart, data, { ...options, logScale: logToggle ? log : options.logScale });
  return (
    <div className={className} style={style} data-view="loss-chart">
      {logToggle ? (
        <label style={{ fontSize: 14, display: 'inline-flex', gap: 6, alignItems: 'center' }}>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} />
          log scale
        </label>
      ) : null}
      <div ref={ref} />
    </div>
  );
}
