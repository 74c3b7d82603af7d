'use client';
import type { CSSProperties } from 'react';
import { renderCommitTimeline, type CommitTimelineData, type CommitTimelineOptions } from './commit-timeline';
import { useD3View } from './useD3View';

export interface CommitTimelineProps extends CommitTimelineOptions {
  data: CommitTimelineData;
  className?: string;
  style?: CSSProperties;
}

export function CommitTimeline({ data, className, style, ...options }: CommitTimelineProps) {
  const ref = useD3View(renderCommitTimeline, data, options);
  return <div ref={ref} className={className} style={style} data-view="commit-timeline" />;
}
